"""REST API of deliveries: collection points, compound policies, planning a round and watching
its jobs (staff only); deliveries at the door and pickups at the gate (volunteers and staff).
Read through the scoped selectors, write through the services.

Anyone who is not staff gets a 403 before the input is read; another committee's point, round
or job is a 404."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.models import Job, JobStatus
from core.serializers import ModelSerializer, ScopedPrimaryKeyField
from deliveries import selectors
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    ControlledPolicy,
)
from deliveries.services.points import point_create, point_update, policy_set
from residents.scope import StaffOnly
from residents.selectors import compounds_staffed_by
from supplies.models import SupplyRound

ROUND_SUBJECT = f"{SupplyRound._meta.label_lower}:"  # see core.jobs.subject_of


STAFF_ONLY = [permissions.IsAuthenticated, StaffOnly]


# Collection points and compound policies


class CollectionPointSerializer(ModelSerializer):
    compound = ScopedPrimaryKeyField(
        scope=compounds_staffed_by,
        help_text=gettext_lazy("A point stays in its compound: it cannot move to another."),
    )
    compound_name = serializers.CharField(source="compound.name", read_only=True)

    class Meta:
        model = CollectionPoint
        fields = [
            "id",
            "compound",
            "compound_name",
            "name",
            "position_x",
            "position_y",
            "capacity",
            "crowd_cap",
            "opens_at",
            "closes_at",
            "slot_minutes",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service refuses a duplicate name with a readable message


# Related filters take plain ids, never checked against all rows, so that a filter cannot tell
# whether another committee's compound exists.
class CollectionPointFilter(FilterSet):
    compound = IdFilter(field_name="compound")
    active = YesNoFilter()

    class Meta:
        model = CollectionPoint
        fields = ["compound", "active"]


class CollectionPointViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Collection points of your compounds. A point is never deleted: set `active` to false."""

    serializer_class = CollectionPointSerializer
    filterset_class = CollectionPointFilter
    permission_classes = STAFF_ONLY

    def get_queryset(self):
        return selectors.points_visible_to(self.request.user).order_by("compound__name", "name")

    def perform_create(self, serializer):
        point = point_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=point.pk)

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        compound = fields.pop("compound", None)
        if compound is not None and compound != serializer.instance.compound:
            raise exceptions.ValidationError(
                {"compound": [_("A point cannot move to another compound.")]}
            )
        point = point_update(point=serializer.instance, by=self.request.user, **fields)
        serializer.instance = self.get_queryset().get(pk=point.pk)


class CompoundPolicySerializer(ModelSerializer):
    compound = ScopedPrimaryKeyField(scope=compounds_staffed_by)
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    controlled_fulfilment = serializers.ChoiceField(
        choices=ControlledPolicy.choices,
        help_text=gettext_lazy("How the compound's controlled buildings get their packs."),
    )

    class Meta:
        model = CompoundPolicy
        fields = ["id", "compound", "compound_name", "controlled_fulfilment", "updated_at"]
        read_only_fields = ["updated_at"]


class CompoundPolicyFilter(FilterSet):
    compound = IdFilter(field_name="compound")

    class Meta:
        model = CompoundPolicy
        fields = ["compound"]


class CompoundPolicyViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """How each compound serves its controlled buildings; a compound without a policy uses
    staggered pickup at the gate."""

    serializer_class = CompoundPolicySerializer
    filterset_class = CompoundPolicyFilter
    permission_classes = STAFF_ONLY

    def get_queryset(self):
        return (
            selectors.policies_visible_to(self.request.user)
            .select_related("compound")
            .order_by("compound__name", "pk")
        )

    @extend_schema(
        request=CompoundPolicySerializer,
        responses={200: CompoundPolicySerializer, 201: CompoundPolicySerializer},
    )
    def create(self, request):
        """Set a compound's policy: 201 when it had none, 200 when it is changed."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        compound = data.validated_data["compound"]
        existed = CompoundPolicy.objects.filter(compound=compound).exists()
        policy = policy_set(
            compound=compound,
            controlled_fulfilment=data.validated_data["controlled_fulfilment"],
            by=request.user,
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.get_serializer(self.get_queryset().get(pk=policy.pk)).data, code)


# Jobs


class JobSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="job-detail")
    status = serializers.ChoiceField(choices=JobStatus.choices, read_only=True)
    round = serializers.SerializerMethodField()
    created_by = serializers.StringRelatedField()
    result = serializers.JSONField(
        read_only=True, help_text=gettext_lazy("The summary the job left when it succeeded.")
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "round",
            "status",
            "percent",
            "message",
            "result",
            "error",
            "attempts",
            "finished",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_round(self, job: Job) -> int | None:
        prefix, _sep, pk = job.subject.rpartition(":")
        return int(pk) if f"{prefix}:" == ROUND_SUBJECT and pk.isdigit() else None


class JobFilter(FilterSet):
    round = IdFilter(method="filter_round", label=gettext_lazy("round"))
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["round", "kind", "status"]

    def filter_round(self, queryset, name, value):
        return queryset.filter(subject=f"{ROUND_SUBJECT}{int(value)}")


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs working on your committees' rounds, newest first: poll one to follow
    its progress."""

    serializer_class = JobSerializer
    filterset_class = JobFilter
    permission_classes = STAFF_ONLY

    def get_queryset(self):
        return (
            selectors.jobs_visible_to(self.request.user)
            .select_related("created_by")
            .order_by("-created_at", "-pk")
        )
