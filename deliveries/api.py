"""REST API of deliveries: collection points, compound policies, planning a round and watching
its jobs (staff only); deliveries at the door and pickups at the gate (volunteers and staff).
Read through the scoped selectors, write through the services.

Anyone who is not staff gets a 403 before the input is read; another committee's point, round
or job is a 404."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.models import Job, JobStatus
from core.serializers import ModelSerializer, ScopedPrimaryKeyField, Serializer
from core.validators import validate_event_date
from deliveries import selectors
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    ControlledPolicy,
    Delivery,
    DeliveryFailure,
    DeliveryStatus,
    Fulfilment,
    PickupSlot,
)
from deliveries.services.assignment import assign_request
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
from deliveries.services.planning import ALLOCATE, SCHEDULE, default_pickup_date, plan_request
from deliveries.services.points import point_create, point_update, policy_set
from deliveries.services.uncollected import pickup_move, pickup_to_door, uncollected_notify
from residents.selectors import compounds_staffed_by, user_is_staff_member
from supplies.models import RoundStatus, SupplyRound
from supplies.selectors import rounds_managed_by
from volunteers.models import Volunteer

ROUND_SUBJECT = f"{SupplyRound._meta.label_lower}:"  # see core.jobs.subject_of


class StaffOnly(permissions.BasePermission):
    """Deliveries are planned by committee and street staff; everyone else is refused before
    the input is read, so that a resident gets a 403 and not a 400 about a compound."""

    message = gettext_lazy("Only the committee's staff may do this.")

    def has_permission(self, request, view):
        return user_is_staff_member(request.user)


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


# Planning a round


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
