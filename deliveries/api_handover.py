"""The API of handing packs over: volunteers see and mark their door deliveries (staff those of
their committees), and hand packs over at the gate by pickup code."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.serializers import ModelSerializer, Serializer
from deliveries import selectors
from deliveries.models import (
    Delivery,
    DeliveryFailure,
    DeliveryStatus,
)
from deliveries.services.fulfilment import (
    delivery_complete,
    delivery_fail,
    delivery_reassign,
    delivery_retry,
)
from deliveries.services.pickups import (
    pickup_hand_over,
    pickup_hand_over_late,
    pickup_verify,
    points_at_gate,
)
from volunteers.models import Volunteer

# Deliveries at the door: volunteers see and mark their own; staff their committees'


class DeliverySerializer(ModelSerializer):
    building = serializers.CharField(source="household.building.label", read_only=True)
    unit = serializers.IntegerField(source="household.unit", read_only=True)
    room = serializers.CharField(source="household.room", read_only=True)
    from_point_name = serializers.CharField(source="from_point.name", read_only=True, default=None)
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True, default=None)
    round = serializers.IntegerField(source="order_plan.round_id", read_only=True, default=None)
    items = serializers.CharField(source="items_text", read_only=True)  # in the reader's language

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "status",
            "destination",
            "building",
            "unit",
            "room",
            "items",
            "notes",
            "from_point",
            "from_point_name",
            "round",
            "volunteer",
            "volunteer_name",
            "assigned_at",
            "done_at",
            "failure",
            "failure_note",
        ]
        read_only_fields = fields


class DeliveryFilter(FilterSet):
    mine = YesNoFilter(method="filter_mine", label=gettext_lazy("only those assigned to me"))
    round = IdFilter(field_name="order_plan__round")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = Delivery
        fields = ["mine", "round", "status", "kind"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(volunteer__user=self.request.user) if value else queryset


class TapSerializer(Serializer):
    tapped_at = serializers.DateTimeField(
        help_text=gettext_lazy("When the volunteer tapped, which may be before an offline send.")
    )


class FailSerializer(TapSerializer):
    reason = serializers.ChoiceField(choices=DeliveryFailure.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReassignSerializer(Serializer):
    volunteer = serializers.IntegerField(help_text=gettext_lazy("The volunteer to give it to."))


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Deliveries: a volunteer sees those assigned to them, staff their committees'. Anything
    else is a 404. Taps may arrive late from an offline phone; a repeat changes nothing."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.deliveries_visible_to(self.request.user).select_related("order_plan")

    def _answer(self, delivery) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data)

    @extend_schema(request=TapSerializer, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the delivery delivered at `tapped_at`."""
        delivery = self.get_object()
        data = TapSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = delivery_complete(delivery=delivery, by=request.user, **data.validated_data)
        return self._answer(delivery)

    @extend_schema(request=FailSerializer, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """Mark the delivery failed at `tapped_at`: nobody at home, or a problem (with a note)."""
        delivery = self.get_object()
        data = FailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = delivery_fail(delivery=delivery, by=request.user, **data.validated_data)
        return self._answer(delivery)

    @extend_schema(request=None, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Staff: put a failed delivery back to planned."""
        delivery = delivery_retry(delivery=self.get_object(), by=request.user)
        return self._answer(delivery)

    @extend_schema(request=ReassignSerializer, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Staff: give an open delivery to another approved volunteer of the committee."""
        delivery = self.get_object()
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = Volunteer.objects.filter(pk=data.validated_data["volunteer"]).first()
        if volunteer is None:
            raise exceptions.ValidationError({"volunteer": [_("No such volunteer.")]})
        delivery = delivery_reassign(delivery=delivery, volunteer=volunteer, by=request.user)
        return self._answer(delivery)


# The gate


class PickupCodeSerializer(Serializer):
    code = serializers.CharField(
        max_length=20, help_text=gettext_lazy("The 8-character pickup code; spaces are ignored.")
    )
    point = serializers.IntegerField(help_text=gettext_lazy("The collection point you are at."))


class LateHandoverSerializer(PickupCodeSerializer):
    reason = serializers.CharField(
        max_length=300, help_text=gettext_lazy("Why the packs are handed over outside the slot.")
    )


class PickupItemSerializer(Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()


class PickupSerializer(Serializer):
    order = serializers.IntegerField(source="plan.order_id")
    building = serializers.CharField()
    unit = serializers.IntegerField()
    room = serializers.CharField()
    items = serializers.SerializerMethodField()
    slot_start = serializers.DateTimeField(allow_null=True)
    slot_end = serializers.DateTimeField(allow_null=True)
    handed_over_at = serializers.DateTimeField(source="plan.handed_over_at", allow_null=True)

    @extend_schema_field(PickupItemSerializer(many=True))
    def get_items(self, pickup) -> list[dict]:
        return [{"name": name, "quantity": quantity} for name, quantity in pickup.items]


class PickupViewSet(viewsets.ViewSet):
    """Check a resident's pickup code at the gate and hand the packs over: for volunteers on
    a supply shift at the point's compound and its staff. A refusal is a 400 with a `code`
    and a `detail` that says why (wrong point, wrong slot, already collected …)."""

    permission_classes = [permissions.IsAuthenticated]

    def _read(self, request, serializer_class=PickupCodeSerializer):
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        point = get_object_or_404(
            points_at_gate(request.user, at=now), pk=data.validated_data["point"]
        )
        return data.validated_data, point, now

    @extend_schema(request=PickupCodeSerializer, responses={200: PickupSerializer})
    @action(detail=False, methods=["post"])
    def verify(self, request):
        """What would be handed over for the code; changes nothing."""
        data, point, now = self._read(request)
        pickup = pickup_verify(code=data["code"], point=point, by=request.user, at=now)
        return Response(PickupSerializer(pickup).data)

    @extend_schema(request=PickupCodeSerializer, responses={200: PickupSerializer})
    @action(detail=False, methods=["post"], url_path="hand-over")
    def hand_over(self, request):
        """Hand the packs over: the code is then used up."""
        data, point, now = self._read(request)
        pickup = pickup_hand_over(code=data["code"], point=point, by=request.user, at=now)
        return Response(PickupSerializer(pickup).data)

    @extend_schema(request=LateHandoverSerializer, responses={200: PickupSerializer})
    @action(detail=False, methods=["post"], url_path="hand-over-late")
    def hand_over_late(self, request):
        """Staff only: hand the packs over outside the household's slot, with a reason
        (recorded with who and when); a volunteer is refused with `staff_only`."""
        data, point, now = self._read(request, LateHandoverSerializer)
        pickup = pickup_hand_over_late(
            code=data["code"], point=point, by=request.user, at=now, reason=data["reason"]
        )
        return Response(PickupSerializer(pickup).data)
