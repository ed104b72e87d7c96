"""REST API of volunteers: read through the scoped selectors, write through the services.

Another committee's volunteer or shift is a 404; one the user sees but may not manage
(a volunteer approving themselves, creating a shift) is a 403."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter
from core.serializers import ModelSerializer, ScopedId, Serializer
from core.validators import validate_event_date
from residents.models import Committee
from residents.scope import StaffOnly
from residents.selectors import compounds_staffed_by
from volunteers import selectors
from volunteers.models import (
    Affiliation,
    Shift,
    ShiftSignup,
    SignupStatus,
    TestKind,
    TestRecord,
    Volunteer,
    VolunteerStatus,
    Workgroup,
)
from volunteers.services import (
    shift_create,
    shift_signup,
    shift_signup_cancel,
    test_record,
    volunteer_approve,
    volunteer_register,
    volunteer_reject,
)


class StaffMayWrite(StaffOnly):
    """Volunteers read shifts and sign up (a POST); only staff create shifts."""

    message = gettext_lazy("Only committee or street staff may create shifts.")

    def has_permission(self, request, view):
        return view.action != "create" or super().has_permission(request, view)


# Volunteers


class VolunteerSerializer(ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    workgroups = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "committee",
            "committee_name",
            "name",
            "phone",
            "affiliation",
            "employer",
            "workgroups",
            "compounds",
            "status",
            "decided_at",
            "rejection_reason",
            "test_kind",
            "tested_at",
        ]
        read_only_fields = fields

    def get_workgroups(self, volunteer) -> list[str]:
        return [group.workgroup for group in volunteer.workgroups.all()]


class RejectSerializer(Serializer):
    reason = serializers.CharField(max_length=300)


class TestInputSerializer(Serializer):
    kind = serializers.ChoiceField(choices=TestKind.choices)
    taken_at = serializers.DateTimeField(validators=[validate_event_date])


class TestRecordSerializer(ModelSerializer):
    class Meta:
        model = TestRecord
        fields = ["id", "volunteer", "kind", "taken_at", "recorded_at"]
        read_only_fields = fields


class RegisterSerializer(Serializer):
    committee = serializers.PrimaryKeyRelatedField(
        queryset=Committee.objects.all(),
        help_text=gettext_lazy("The committee to help (`committee_id` of a compound)."),
    )
    name = serializers.CharField(max_length=60)
    phone = serializers.CharField(max_length=30)
    password = serializers.CharField(max_length=128, write_only=True)
    affiliation = serializers.ChoiceField(choices=Affiliation.choices)
    employer = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    workgroups = serializers.ListField(
        child=serializers.ChoiceField(choices=Workgroup.choices), required=False, default=list
    )
    compounds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        help_text=gettext_lazy("Compounds of the committee; left out, any of them."),
    )

    def validate(self, data):
        chosen = set(data["compounds"])
        found = list(data["committee"].compounds.filter(pk__in=chosen))
        if len(found) != len(chosen):
            raise serializers.ValidationError(
                {"compounds": [_("Choose compounds of the committee you help.")]}
            )
        return {**data, "compounds": found}


class RegisteredSerializer(Serializer):
    volunteer = serializers.IntegerField(source="pk")
    username = serializers.CharField(
        source="user.username",
        help_text=gettext_lazy("The login name given to you: log in with it and your password."),
    )
    status = serializers.ChoiceField(choices=VolunteerStatus.choices)


class VolunteerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VolunteerSerializer

    def get_queryset(self):
        return (
            selectors.volunteers_visible_to(self.request.user)
            .prefetch_related("workgroups", "compounds")
            .order_by("committee", "name", "pk")
        )

    def _managed(self, pk) -> Volunteer:
        """Seen but not managed is a 403; not seen at all is a 404."""
        volunteer = get_object_or_404(self.get_queryset(), pk=pk)
        if not selectors.volunteers_managed_by(self.request.user).filter(pk=pk).exists():
            raise exceptions.PermissionDenied(_("Only the committee's staff may do this."))
        return volunteer

    def _respond(self, pk):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
    @action(detail=False, methods=["post"], permission_classes=[permissions.AllowAny])
    def register(self, request):
        """Register as a volunteer, as on the phone's sign-up page: a login (its name is given,
        not chosen) and a volunteer waiting for the committee's approval. Anyone may call it."""
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = volunteer_register(**data.validated_data)
        return Response(RegisteredSerializer(volunteer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=VolunteerSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a volunteer waiting for approval; they may then sign up for shifts."""
        volunteer_approve(volunteer=self._managed(pk), by=request.user)
        return self._respond(pk)

    @extend_schema(request=RejectSerializer, responses=VolunteerSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Turn down a volunteer waiting for approval, with a reason."""
        volunteer = self._managed(pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer_reject(volunteer=volunteer, reason=data.validated_data["reason"], by=request.user)
        return self._respond(pk)

    @extend_schema(request=TestInputSerializer, responses={201: TestRecordSerializer})
    @action(detail=True, methods=["post"])
    def tests(self, request, pk=None):
        """Record a negative test: the volunteer their own, or staff for their volunteers.
        A time in the future answers 400 with code `test_in_future`."""
        volunteer = get_object_or_404(self.get_queryset(), pk=pk)
        if volunteer.user_id != request.user.pk:
            volunteer = self._managed(pk)
        data = TestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = test_record(volunteer=volunteer, by=request.user, **data.validated_data)
        return Response(TestRecordSerializer(record).data, status=status.HTTP_201_CREATED)


# Shifts


class ShiftSerializer(ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    cancelled = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = [
            "id",
            "compound",
            "compound_name",
            "workgroup",
            "start",
            "end",
            "needed",
            "taken",
            "notes",
            "cancelled",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_cancelled(self, shift) -> bool:
        return shift.cancelled_at is not None


class ShiftInputSerializer(Serializer):
    compound = ScopedId(scope=compounds_staffed_by)
    workgroup = serializers.ChoiceField(choices=Workgroup.choices)
    start = serializers.DateTimeField(validators=[validate_event_date])
    end = serializers.DateTimeField(validators=[validate_event_date])
    needed = serializers.IntegerField(min_value=1, max_value=1000)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SignupInputSerializer(Serializer):
    volunteer = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("Staff sign up a volunteer they name; a volunteer signs up."),
    )


class SignupSerializer(ModelSerializer):
    class Meta:
        model = ShiftSignup
        fields = ["id", "shift", "volunteer", "status", "signed_up_at", "cancelled_at"]
        read_only_fields = fields


class ShiftFilter(FilterSet):
    # Plain ids, never checked against all rows: a filter cannot tell what exists elsewhere.
    compound = IdFilter(field_name="compound")
    workgroup = django_filters.ChoiceFilter(choices=Workgroup.choices)
    day = django_filters.DateFilter(method="filter_day")

    class Meta:
        model = Shift
        fields = ["compound", "workgroup", "day"]

    def filter_day(self, queryset, name, value):
        start, end = selectors.day_bounds(value)
        return queryset.filter(start__lt=end, end__gt=start)


class ShiftViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    permission_classes = [permissions.IsAuthenticated, StaffMayWrite]

    def get_queryset(self):
        return selectors.shifts_visible_to(self.request.user).order_by("start", "pk")

    @extend_schema(request=ShiftInputSerializer, responses={201: ShiftSerializer})
    def create(self, request):
        """Open a shift in one of your compounds."""
        data = ShiftInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        shift = shift_create(by=request.user, **data.validated_data)
        fresh = self.get_queryset().get(pk=shift.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def _volunteer(self, volunteer_id: int | None) -> Volunteer:
        own = selectors.volunteer_of(self.request.user)
        if volunteer_id is None or (own is not None and own.pk == volunteer_id):
            if own is None:
                raise exceptions.ValidationError(
                    {"volunteer": [_("Say which volunteer to sign up.")]}
                )
            return own
        managed = selectors.volunteers_managed_by(self.request.user).filter(pk=volunteer_id)
        volunteer = managed.first()
        if volunteer is None:
            raise exceptions.ValidationError(
                {"volunteer": [_("You cannot sign up this volunteer.")]}
            )
        return volunteer

    @extend_schema(request=SignupInputSerializer, responses={201: SignupSerializer})
    @action(detail=True, methods=["post"])
    def signup(self, request, pk=None):
        """Sign up for the shift. A refusal answers 400 with a `code`: `shift_full`,
        `test_expired`, `test_missing`, `overlapping`, `not_approved`, `already_signed_up` …"""
        shift = get_object_or_404(self.get_queryset(), pk=pk)
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = self._volunteer(data.validated_data.get("volunteer"))
        signup = shift_signup(shift=shift, volunteer=volunteer, by=request.user)
        return Response(SignupSerializer(signup).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SignupSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel your own sign-up for the shift; its place goes back to the shift."""
        shift = get_object_or_404(self.get_queryset(), pk=pk)
        own = selectors.volunteer_of(request.user)
        signup = ShiftSignup.objects.filter(
            shift=shift, volunteer=own, status=SignupStatus.SIGNED_UP
        ).first()
        if own is None or signup is None:
            raise exceptions.NotFound(_("You are not signed up for this shift."))
        signup = shift_signup_cancel(signup=signup, by=request.user, reason=_("Cancelled."))
        return Response(SignupSerializer(signup).data)
