"""The API of meals for the elderly: enrolments (staff enrol, approve, reject and end) and the
day's meal deliveries (staff create and assign them, as on /staff/meals/). Scoped to the
staff's compounds; anything else is a 404."""

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.serializers import ModelSerializer, ScopedPrimaryKeyField, Serializer
from core.validators import validate_event_date
from deliveries import selectors
from deliveries.api import STAFF_ONLY
from deliveries.models import MealBasis, MealEnrolment
from deliveries.services.assignment import deliveries_assign_meals
from deliveries.services.meals import (
    meal_approve,
    meal_end,
    meal_enrol,
    meal_reject,
    meals_create_for_day,
)
from residents.selectors import compounds_staffed_by


def _residents_staffed_by(user):
    from residents.models import Resident

    return Resident.objects.filter(
        household__building__compound__in=compounds_staffed_by(user).values("pk")
    )


@extend_schema_field(OpenApiTypes.INT)
class ResidentField(ScopedPrimaryKeyField):
    """A resident of the staff's compounds, by id."""


class MealEnrolmentSerializer(ModelSerializer):
    class Meta:
        model = MealEnrolment
        fields = [
            "id",
            "resident",
            "basis",
            "status",
            "lunch",
            "dinner",
            "dietary_notes",
            "starts_on",
            "ends_on",
            "decided_by",
            "decided_at",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class MealEnrolSerializer(Serializer):
    resident = ResidentField(scope=_residents_staffed_by)
    meals = serializers.ListField(
        child=serializers.ChoiceField(choices=["lunch", "dinner"]), min_length=1
    )
    dietary_notes = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    starts_on = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_event_date]
    )
    application = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("File as an application even when the resident qualifies."),
    )


class MealReasonSerializer(Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class MealEnrolmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meal enrolments of the residents of the staff's committees; anything else is a 404.
    Create enrols (approved at once when the resident qualifies) or files an application."""

    serializer_class = MealEnrolmentSerializer
    permission_classes = STAFF_ONLY
    filterset_fields = ["status", "basis"]

    def get_queryset(self):
        return selectors.meal_enrolments_visible_to(self.request.user)

    def _answer(self, enrolment, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=enrolment.pk)).data, code)

    @extend_schema(request=MealEnrolSerializer, responses={201: MealEnrolmentSerializer})
    def create(self, request):
        data = MealEnrolSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        enrolment = meal_enrol(
            resident=values["resident"],
            meals=values["meals"],
            notes=values["dietary_notes"],
            starts_on=values["starts_on"],
            basis=MealBasis.APPLICATION if values["application"] else None,
            by=request.user,
        )
        return self._answer(enrolment, status.HTTP_201_CREATED)

    def _decide(self, request, service) -> Response:
        enrolment = self.get_object()
        data = MealReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            service(enrolment=enrolment, reason=data.validated_data["reason"], by=request.user)
        )

    @extend_schema(request=MealReasonSerializer, responses={200: MealEnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a pending application."""
        return self._decide(request, meal_approve)

    @extend_schema(request=MealReasonSerializer, responses={200: MealEnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a pending application; the reason is required."""
        return self._decide(request, meal_reject)

    @extend_schema(request=MealReasonSerializer, responses={200: MealEnrolmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End an open enrolment: no meals after today."""
        return self._decide(request, meal_end)


class MealDaySerializer(Serializer):
    day = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_event_date],
        help_text=gettext_lazy("Left out, today."),
    )


class MealsCreatedSerializer(Serializer):
    created = serializers.IntegerField(help_text=gettext_lazy("Meal deliveries made now."))
    existing = serializers.IntegerField(help_text=gettext_lazy("Those that were there already."))


class MealsAssignedCompoundSerializer(Serializer):
    compound = serializers.CharField()
    volunteers = serializers.IntegerField()
    assigned = serializers.IntegerField()
    unassigned = serializers.IntegerField()


class MealsAssignedSerializer(Serializer):
    assigned = serializers.IntegerField()
    unassigned = serializers.IntegerField(help_text=gettext_lazy("Left without a volunteer."))
    compounds = MealsAssignedCompoundSerializer(many=True)


class MealDayViewSet(viewsets.GenericViewSet):
    """The day's meal deliveries of the staff's compounds, as on /staff/meals/."""

    permission_classes = STAFF_ONLY
    serializer_class = MealDaySerializer
    pagination_class = None

    def _day(self, request):
        data = MealDaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["day"] or timezone.localdate()

    @extend_schema(request=MealDaySerializer, responses={200: MealsCreatedSerializer})
    @action(detail=False, methods=["post"], url_path="create-deliveries")
    def create_deliveries(self, request):
        """One door delivery per enrolment served on the day; asking again makes none twice."""
        counts = meals_create_for_day(
            day=self._day(request), compounds=compounds_staffed_by(request.user), by=request.user
        )
        return Response(MealsCreatedSerializer(counts).data)

    @extend_schema(request=MealDaySerializer, responses={200: MealsAssignedSerializer})
    @action(detail=False, methods=["post"])
    def assign(self, request):
        """Give the day's unassigned meal deliveries to the volunteers on a supply shift now."""
        summary = deliveries_assign_meals(
            day=self._day(request), compounds=compounds_staffed_by(request.user), by=request.user
        )
        return Response(MealsAssignedSerializer(summary).data)
