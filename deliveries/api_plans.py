"""The API of a round's plan: asking for the allocation, the schedule and the assignment (jobs
to poll), the plan per point with its slots and calls, and the pickups nobody collected.
Rounds of the committees the user is staff of; others are a 404."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.serializers import Serializer
from core.validators import validate_event_date
from deliveries import selectors
from deliveries.api import STAFF_ONLY, JobSerializer
from deliveries.models import (
    Delivery,
    Fulfilment,
    PickupSlot,
)
from deliveries.services.assignment import assign_request
from deliveries.services.planning import ALLOCATE, SCHEDULE, default_pickup_date, plan_request
from deliveries.services.uncollected import pickup_move, pickup_to_door, uncollected_notify
from supplies.models import RoundStatus, SupplyRound
from supplies.selectors import rounds_managed_by


class PlanRequestSerializer(Serializer):
    pickup_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_event_date],
        help_text=gettext_lazy(
            "The day residents collect their packs; left out, the day already set "
            "(at first the day after the round closes)."
        ),
    )

    def validate_pickup_date(self, day):
        if day is not None and day < timezone.localdate():
            raise serializers.ValidationError(_("The pickup day cannot be before today."))
        return day


class CallSerializer(Serializer):
    building = serializers.CharField()
    unit = serializers.IntegerField()
    households = serializers.IntegerField()
    rooms = serializers.ListField(child=serializers.CharField())


class SlotSerializer(Serializer):
    id = serializers.IntegerField()
    index = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    people = serializers.IntegerField(help_text=gettext_lazy("Households called down."))
    calls = CallSerializer(many=True)


class OrdersByFulfilmentSerializer(Serializer):
    pickup = serializers.IntegerField()
    door = serializers.IntegerField()
    unit_entrance = serializers.IntegerField()


class PlanPointSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    compound = serializers.IntegerField()
    active = serializers.BooleanField()
    capacity = serializers.IntegerField()
    crowd_cap = serializers.IntegerField()
    packs = serializers.IntegerField()
    orders = serializers.IntegerField()
    orders_by_fulfilment = OrdersByFulfilmentSerializer()
    slots = SlotSerializer(many=True)


class FulfilmentCountSerializer(Serializer):
    fulfilment = serializers.ChoiceField(choices=Fulfilment.choices)
    label = serializers.CharField()
    orders = serializers.IntegerField()
    packs = serializers.IntegerField()


class DeliveryCountSerializer(Serializer):
    destination = serializers.ChoiceField(choices=Delivery._meta.get_field("destination").choices)
    label = serializers.CharField()
    open = serializers.IntegerField(help_text=gettext_lazy("Planned or failed, not delivered."))


class PickupOutcomesSerializer(Serializer):
    collected = serializers.IntegerField(help_text=gettext_lazy("Handed over in the slot."))
    late_handed = serializers.IntegerField(
        help_text=gettext_lazy("Handed over by staff outside the slot, with a reason.")
    )
    uncollected = serializers.IntegerField(
        help_text=gettext_lazy("Slot over (or the day passed without one) and nobody came.")
    )
    moved = serializers.IntegerField(help_text=gettext_lazy("Moved by staff to a later slot."))
    to_door = serializers.IntegerField(
        help_text=gettext_lazy("Turned into a door delivery after a missed pickup.")
    )
    waiting = serializers.IntegerField(help_text=gettext_lazy("Slot not over yet."))


class RoundPlanSerializer(Serializer):
    round = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=RoundStatus.choices)
    pickup_date = serializers.DateField(
        help_text=gettext_lazy("Set by the plan, or the day the next allocation would use.")
    )
    allocated_at = serializers.DateTimeField(allow_null=True)
    scheduled_at = serializers.DateTimeField(allow_null=True)
    allocation = serializers.JSONField(help_text=gettext_lazy("The allocation's summary."))
    schedule = serializers.JSONField(help_text=gettext_lazy("The pickup schedule's summary."))
    orders = serializers.IntegerField()
    packs = serializers.IntegerField()
    fulfilments = FulfilmentCountSerializer(many=True)
    unplaced_orders = serializers.IntegerField(
        help_text=gettext_lazy("Orders without a point (no room) or a slot (hours too short).")
    )
    without_point = serializers.IntegerField()
    without_slot = serializers.IntegerField()
    waiting_for_slot = serializers.IntegerField(
        help_text=gettext_lazy("Pickups with a point that are not scheduled yet.")
    )
    deliveries = DeliveryCountSerializer(many=True)
    pickups = PickupOutcomesSerializer(help_text=gettext_lazy("How the pickups went so far."))
    points = PlanPointSerializer(many=True)
    latest_job = JobSerializer(allow_null=True)


def _plan_document(request, supply_round: SupplyRound) -> dict:
    """The plan of a round in a fixed number of queries, whatever its points, slots, orders."""
    overview = selectors.plan_overview(supply_round)
    plan, calls = overview.plan, selectors.pickup_calls(supply_round)
    return {
        "round": supply_round.pk,
        "title": supply_round.title,
        "status": supply_round.status,
        "pickup_date": plan.pickup_date if plan else default_pickup_date(supply_round),
        "allocated_at": plan.allocated_at if plan else None,
        "scheduled_at": plan.scheduled_at if plan else None,
        "allocation": plan.allocation if plan else {},
        "schedule": plan.schedule if plan else {},
        "orders": overview.orders,
        "packs": overview.packs,
        "fulfilments": [vars(entry) for entry in overview.fulfilments],
        "unplaced_orders": overview.without_point + overview.without_slot,
        "without_point": overview.without_point,
        "without_slot": overview.without_slot,
        "waiting_for_slot": overview.waiting_for_slot,
        "deliveries": [
            {"destination": value, "label": label, "open": count}
            for value, label, count in overview.deliveries
        ],
        "pickups": vars(selectors.pickup_outcomes(supply_round, now=timezone.now())),
        "points": [
            {
                "id": point.pk,
                "name": point.name,
                "compound": point.compound_id,
                "active": point.active,
                "capacity": point.capacity,
                "crowd_cap": point.crowd_cap,
                "packs": point.packs or 0,
                "orders": point.orders,
                "orders_by_fulfilment": {
                    "pickup": point.pickups,
                    "door": point.doors,
                    "unit_entrance": point.unit_entrances,
                },
                "slots": [
                    {
                        "id": entry["slot"].pk,
                        "index": entry["slot"].index,
                        "start": entry["slot"].start,
                        "end": entry["slot"].end,
                        "people": entry["people"],
                        "calls": [
                            {**call, "households": len(call["rooms"])} for call in entry["calls"]
                        ],
                    }
                    for entry in calls.get(point.pk, [])
                ],
            }
            for point in overview.points
        ],
        "latest_job": selectors.latest_job_of_round(request.user, supply_round),
    }


class LaterSlotSerializer(Serializer):
    id = serializers.IntegerField(source="pk")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    room = serializers.IntegerField(help_text=gettext_lazy("Places left under the crowd cap."))


class UncollectedSerializer(Serializer):
    plan = serializers.IntegerField(source="pk")
    order = serializers.IntegerField(source="order_id")
    building = serializers.CharField(source="household.building.label")
    unit = serializers.IntegerField(source="household.unit")
    room = serializers.CharField(source="household.room")
    point = serializers.IntegerField(source="point_id", allow_null=True)
    slot_start = serializers.DateTimeField(source="slot.start", default=None)
    slot_end = serializers.DateTimeField(source="slot.end", default=None)
    told_at = serializers.DateTimeField(source="uncollected_told_at", allow_null=True)
    later_slots = LaterSlotSerializer(many=True, help_text=gettext_lazy("Where it may move."))


class UncollectedMoveSerializer(Serializer):
    plan = serializers.IntegerField(help_text=gettext_lazy("An uncollected pickup of the round."))
    slot = serializers.IntegerField(help_text=gettext_lazy("A later slot of its point."))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class UncollectedDoorSerializer(Serializer):
    plan = serializers.IntegerField(help_text=gettext_lazy("An uncollected pickup of the round."))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class UncollectedDoneSerializer(Serializer):
    plan = serializers.IntegerField(source="pk")
    fulfilment = serializers.ChoiceField(choices=Fulfilment.choices)
    slot = serializers.IntegerField(source="slot_id", allow_null=True)
    delivery = serializers.IntegerField(source="delivery_id", allow_null=True)


class ToldSerializer(Serializer):
    told = serializers.IntegerField(help_text=gettext_lazy("Households told now."))


class RoundPlanViewSet(viewsets.GenericViewSet):
    """The plan of a round: only detail actions, so that supplies keeps `rounds/` and
    `rounds/{id}/`. Rounds of the committees the user is staff of; others are a 404."""

    permission_classes = STAFF_ONLY

    def get_queryset(self):
        return rounds_managed_by(self.request.user)

    def get_serializer_class(self):
        # What OPTIONS describes for each action (the actions build their own answers).
        if self.action in ("allocate", "schedule"):
            return PlanRequestSerializer
        if self.action == "plan":
            return RoundPlanSerializer
        return serializers.Serializer  # assign takes no input

    def _request(self, request, pk, kind: str) -> Response:
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        data = PlanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = plan_request(  # atomic: the job is sent to the worker once it commits
            supply_round=supply_round, kind=kind, by=request.user, **data.validated_data
        )
        job.refresh_from_db()  # an eager worker (a bare machine) may have run it already
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(request=PlanRequestSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        """Allocate a closed round's orders to collection points, then schedule the pickups.
        Answers 202 with the job to poll; a round that is not closed is a 400."""
        return self._request(request, pk, ALLOCATE)

    @extend_schema(request=PlanRequestSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Schedule the pickups of an allocated round again (for another day, say), and tell
        the households. Answers 202 with the job to poll."""
        return self._request(request, pk, SCHEDULE)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the round's open deliveries to the supply volunteers on shift now, building by
        building. Answers 202 with the job to poll; its result says what was left without a
        volunteer."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        job = assign_request(supply_round=supply_round, by=request.user)
        job.refresh_from_db()  # an eager worker (a bare machine) may have run it already
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(responses=UncollectedSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole list, unpaged
    def uncollected(self, request, pk=None):
        """Pickups nobody collected whose slot is over (or whose day passed without one),
        each with the later slots of its point that have room."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        now = timezone.now()
        slots = selectors.later_slots_with_room(supply_round, now=now)
        rows = []
        for plan in selectors.pickups_uncollected(supply_round, now=now):
            plan.later_slots = [
                slot
                for slot in slots.get(plan.point_id, [])
                if plan.slot is None or slot.start > plan.slot.start
            ]
            rows.append(plan)
        return Response(UncollectedSerializer(rows, many=True).data)

    def _uncollected_plan(self, supply_round, plan_id: int):
        return get_object_or_404(
            selectors.pickups_uncollected(supply_round, now=timezone.now()), pk=plan_id
        )

    @extend_schema(request=UncollectedMoveSerializer, responses=UncollectedDoneSerializer)
    @action(detail=True, methods=["post"], url_path="uncollected/move")
    def uncollected_move(self, request, pk=None):
        """Move an uncollected pickup to a later slot of its point with room; the household
        is told the new time. A full or past slot is a 400 with a `code`."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        data = UncollectedMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = self._uncollected_plan(supply_round, data.validated_data["plan"])
        slot = PickupSlot.objects.filter(round=supply_round, pk=data.validated_data["slot"]).first()
        if slot is None:
            raise exceptions.ValidationError({"slot": [_("No such slot in this round.")]})
        plan = pickup_move(plan=plan, slot=slot, by=request.user, note=data.validated_data["note"])
        return Response(UncollectedDoneSerializer(plan).data)

    @extend_schema(request=UncollectedDoorSerializer, responses=UncollectedDoneSerializer)
    @action(detail=True, methods=["post"], url_path="uncollected/door")
    def uncollected_door(self, request, pk=None):
        """Turn an uncollected pickup into a door delivery from its point; the household is
        told."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        data = UncollectedDoorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = self._uncollected_plan(supply_round, data.validated_data["plan"])
        plan = pickup_to_door(plan=plan, by=request.user, note=data.validated_data["note"])
        plan.refresh_from_db(fields=["delivery"])
        return Response(UncollectedDoneSerializer(plan).data)

    @extend_schema(request=None, responses=ToldSerializer)
    @action(detail=True, methods=["post"], url_path="uncollected/notify")
    def uncollected_notify(self, request, pk=None):
        """Tell each household whose pickup nobody collected what happens next; a household
        already told is not told again."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        return Response({"told": uncollected_notify(supply_round=supply_round, by=request.user)})

    @extend_schema(responses=RoundPlanSerializer)
    @action(detail=True, methods=["get"])
    def plan(self, request, pk=None):
        """The round's plan: summaries, each point's load and its slots with the units called
        down, open deliveries and what could not be placed."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        document = _plan_document(request, supply_round)
        return Response(RoundPlanSerializer(document, context={"request": request}).data)
