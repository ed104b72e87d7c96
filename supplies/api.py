"""REST API of supplies: read through the scoped selectors, write through the services.

Another committee's round or order is a 404; a round or order the user sees but may not
manage (a leader approving, a resident recording a payment) is a 403."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.serializers import ModelSerializer, ScopedId, ScopedPrimaryKeyField, Serializer
from core.validators import validate_event_date
from residents.models import Household, Role
from residents.selectors import (
    committees_staffed_by,
    committees_with_role,
    households_staffed_by,
    user_is_staff_member,
)
from supplies import selectors
from supplies.models import (
    AllocationRule,
    Category,
    Channel,
    Offer,
    Order,
    OrderLine,
    OrderStatus,
    PackageType,
    PaymentStatus,
    RoundKind,
    RoundStatus,
    Supplier,
    SupplyRound,
)
from supplies.services.orders import order_cancel, order_place, order_record_payment, order_update
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_cancel,
    round_close,
    round_create,
    round_open,
    round_propose,
    round_reject,
)
from supplies.services.suppliers import (
    package_type_create,
    package_type_update,
    supplier_check_licence,
    supplier_create,
    supplier_update,
)


class StaffMayWrite(permissions.BasePermission):
    """Staff and leaders read suppliers and packages; only staff change them, refused before
    the input is read."""

    message = gettext_lazy("Only committee or street staff may change suppliers and packages.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or user_is_staff_member(request.user)


# Suppliers and package types


class SupplierSerializer(ModelSerializer):
    street = ScopedPrimaryKeyField(
        scope=selectors.streets_for_suppliers,
        required=False,
        help_text=gettext_lazy(
            "Needed only when you are staff in more than one street. It cannot change later."
        ),
    )
    licence_checked = serializers.BooleanField(read_only=True)
    licence_checked_by = serializers.StringRelatedField()

    class Meta:
        model = Supplier
        fields = [
            "id",
            "street",
            "name",
            "licence_number",
            "licence_checked",
            "licence_checked_at",
            "licence_checked_by",
            "contact_name",
            "contact_phone",
        ]
        read_only_fields = ["licence_checked_at"]
        validators = []  # the service refuses a duplicate name with a readable message


class PackageTypeSerializer(ModelSerializer):
    supplier = ScopedPrimaryKeyField(scope=selectors.suppliers_managed_by)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)

    class Meta:
        model = PackageType
        fields = [
            "id",
            "supplier",
            "supplier_name",
            "name",
            "category",
            "contents",
            "unit_price",
            "essential",
        ]
        extra_kwargs = {"unit_price": {"min_value": 0}}


class SupplierViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = SupplierSerializer
    permission_classes = [permissions.IsAuthenticated, StaffMayWrite]

    def get_queryset(self):
        return selectors.suppliers_visible_to(self.request.user).select_related(
            "licence_checked_by"
        )

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        street = fields.pop("street", None)
        if street is None:
            streets = list(selectors.streets_for_suppliers(self.request.user)[:2])
            if len(streets) != 1:
                raise exceptions.ValidationError({"street": [_("Say in which street.")]})
            street = streets[0]
        supplier = supplier_create(street=street, by=self.request.user, **fields)
        serializer.instance = self.get_queryset().get(pk=supplier.pk)

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        fields.pop("street", None)
        supplier = get_object_or_404(
            selectors.suppliers_managed_by(self.request.user), pk=serializer.instance.pk
        )
        supplier_update(supplier=supplier, by=self.request.user, **fields)
        serializer.instance = self.get_queryset().get(pk=supplier.pk)

    @extend_schema(request=None, responses=SupplierSerializer)
    @action(detail=True, methods=["post"], url_path="check-licence")
    def check_licence(self, request, pk=None):
        """Record that you have seen the supplier's licence; group buys need it for approval."""
        supplier = get_object_or_404(selectors.suppliers_managed_by(request.user), pk=pk)
        supplier_check_licence(supplier=supplier, by=request.user)
        return Response(SupplierSerializer(self.get_queryset().get(pk=pk)).data)


# Related filters take plain ids, never checked against all rows, so that a filter cannot tell
# whether another street's supplier or another committee's round exists.
class PackageTypeFilter(FilterSet):
    supplier = IdFilter(field_name="supplier")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    essential = YesNoFilter()

    class Meta:
        model = PackageType
        fields = ["supplier", "category", "essential"]


class PackageTypeViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = PackageTypeSerializer
    permission_classes = [permissions.IsAuthenticated, StaffMayWrite]
    filterset_class = PackageTypeFilter

    def get_queryset(self):
        return selectors.package_types_visible_to(self.request.user)

    def perform_create(self, serializer):
        package_type = package_type_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = package_type

    def perform_update(self, serializer):
        package_type = get_object_or_404(
            selectors.package_types_managed_by(self.request.user), pk=serializer.instance.pk
        )
        serializer.instance = package_type_update(
            package_type=package_type, by=self.request.user, **serializer.validated_data
        )


# Rounds


class OfferSerializer(ModelSerializer):
    package_type_name = serializers.CharField(source="package_type.name", read_only=True)
    category = serializers.ChoiceField(
        source="package_type.category", choices=Category.choices, read_only=True
    )
    unit_price = serializers.DecimalField(
        source="package_type.unit_price", max_digits=8, decimal_places=2, read_only=True
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "package_type",
            "package_type_name",
            "category",
            "unit_price",
            "stock",
            "limit_per_household",
            "limit_per_person",
            "allocation_quantity",
        ]
        read_only_fields = fields


class RoundSerializer(ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    leader_name = serializers.StringRelatedField(source="leader")
    offers = OfferSerializer(many=True, read_only=True)

    class Meta:
        model = SupplyRound
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "committee",
            "committee_name",
            "compounds",
            "opens_at",
            "closes_at",
            "leader",
            "leader_name",
            "allocation_rule",
            "rejection_reason",
            "notes",
            "offers",
        ]
        read_only_fields = fields


class OfferInputSerializer(Serializer):
    package_type = ScopedId(scope=selectors.package_types_visible_to)
    stock = serializers.IntegerField(min_value=0, max_value=2_147_483_647)
    limit_per_household = serializers.IntegerField(min_value=1, max_value=32767, default=1)
    limit_per_person = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True, default=None
    )
    allocation_quantity = serializers.IntegerField(min_value=1, max_value=32767, default=1)


class RoundInputSerializer(Serializer):
    title = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=RoundKind.choices)
    compounds = ScopedId(scope=selectors.compounds_for_rounds, many=True, allow_empty=False)
    closes_at = serializers.DateTimeField(validators=[validate_event_date])
    leader = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Staff choose the group leader. "
            "A group leader creating a group buy leads it themselves."
        ),
    )
    allocation_rule = serializers.ChoiceField(
        choices=AllocationRule.choices, default=AllocationRule.PER_HOUSEHOLD
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    offers = OfferInputSerializer(many=True, allow_empty=False)

    def validate_offers(self, offers):
        packages = [offer["package_type"] for offer in offers]
        if len(set(packages)) != len(packages):
            raise serializers.ValidationError(_("Each package may be offered once."))
        return offers

    def validate(self, attrs):
        """Staff draft either kind and may name a leader; a leader drafts their own group buy."""
        user = self.context["request"].user
        committees = {compound.committee for compound in attrs["compounds"]}
        if len(committees) != 1:
            raise serializers.ValidationError(
                {"compounds": [_("A round serves the compounds of one committee.")]}
            )
        committee = committees.pop()
        leader_id = attrs.pop("leader", None)
        if committees_staffed_by(user).filter(pk=committee.pk).exists():
            leader = None
            if leader_id is not None:
                leader = selectors.group_leaders_of(committee).filter(pk=leader_id).first()
                if leader is None:
                    raise serializers.ValidationError(
                        {"leader": [_("Choose a group leader of this committee.")]}
                    )
        else:  # compounds_for_rounds let them through: a leader of this committee
            if attrs["kind"] != RoundKind.GROUP_BUY:
                raise serializers.ValidationError(
                    {"kind": [_("Group leaders can only propose group buys.")]}
                )
            if leader_id not in (None, user.pk):
                raise serializers.ValidationError(
                    {"leader": [_("A group leader proposes their own group buys.")]}
                )
            leader = user
        return {**attrs, "committee": committee, "leader": leader}


class ReasonSerializer(Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RoundFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices)
    kind = django_filters.ChoiceFilter(choices=RoundKind.choices)

    class Meta:
        model = SupplyRound
        fields = ["status", "kind"]


class RoundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RoundSerializer
    filterset_class = RoundFilter

    def get_queryset(self):
        return selectors.rounds_with_offers(selectors.rounds_visible_to(self.request.user))

    def _respond(self, supply_round, *, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=supply_round.pk)).data, code)

    def _managed(self, pk):
        """The round for its committee's staff; 404 if unseen, 403 if seen but not managed."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        if not selectors.rounds_managed_by(self.request.user).filter(pk=pk).exists():
            raise exceptions.PermissionDenied(_("Only the committee's staff may do this."))
        return supply_round

    @extend_schema(request=RoundInputSerializer, responses={201: RoundSerializer})
    def create(self, request):
        """Draft a round: staff of either kind, a group leader a group buy they will lead."""
        user = request.user
        if not (
            user_is_staff_member(user) or committees_with_role(user, Role.GROUP_LEADER).exists()
        ):
            raise exceptions.PermissionDenied(_("Only staff and group leaders can create rounds."))
        data = RoundInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        offers = [OfferSpec(**offer) for offer in fields.pop("offers")]
        supply_round = round_create(by=user, offers=offers, **fields)
        return self._respond(supply_round, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        """Send a draft group buy to the committee for approval: its leader or staff."""
        supply_round = get_object_or_404(self.get_queryset(), pk=pk)
        if supply_round.leader_id != request.user.pk:
            supply_round = self._managed(pk)
        round_propose(supply_round=supply_round, by=request.user)
        return self._respond(supply_round)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a proposed group buy: licensed supplier, essential goods, a named leader."""
        supply_round = self._managed(pk)
        round_approve(supply_round=supply_round, by=request.user)
        return self._respond(supply_round)

    @extend_schema(request=ReasonSerializer, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a proposed group buy back to its leader as a draft, with a reason they see."""
        supply_round = self._managed(pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_reject(supply_round=supply_round, by=request.user, **data.validated_data)
        return self._respond(supply_round)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open for orders; an allocation round places one order per household in scope."""
        supply_round = self._managed(pk)
        round_open(supply_round=supply_round, by=request.user)
        return self._respond(supply_round)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        supply_round = self._managed(pk)
        round_close(supply_round=supply_round, by=request.user)
        return self._respond(supply_round)

    @extend_schema(request=ReasonSerializer, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a round that has not closed, and every order in it, with a reason."""
        supply_round = self._managed(pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_cancel(supply_round=supply_round, by=request.user, **data.validated_data)
        return self._respond(supply_round)


# Orders


class OrderLineSerializer(ModelSerializer):
    package_type_name = serializers.CharField(source="offer.package_type.name", read_only=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["id", "offer", "package_type_name", "quantity", "unit_price", "total"]
        read_only_fields = fields


class OrderSerializer(ModelSerializer):
    round_title = serializers.CharField(source="round.title", read_only=True)
    household_label = serializers.StringRelatedField(source="household")
    lines = OrderLineSerializer(many=True, read_only=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "round",
            "round_title",
            "household",
            "household_label",
            "status",
            "channel",
            "pickup_code",
            "lines",
            "total",
            "payment_status",
            "payment_method",
            "payment_reference",
            "payment_recorded_by",
            "payment_recorded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderLineInputSerializer(Serializer):
    offer = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=0, max_value=32767)


class OrderLinesInputSerializer(Serializer):
    lines = OrderLineInputSerializer(
        many=True,
        allow_empty=False,
        help_text=gettext_lazy(
            "The complete new list of lines. "
            "A pack left out, or with quantity 0, is removed from the order."
        ),
    )

    def validate_lines(self, lines):
        offers = [line["offer"] for line in lines]
        if len(set(offers)) != len(offers):
            raise serializers.ValidationError(_("Each pack may appear once."))
        return {line["offer"]: line["quantity"] for line in lines}


class OrderCreateSerializer(OrderLinesInputSerializer):
    round = ScopedId(scope=selectors.rounds_visible_to)
    household = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Staff and group leaders choose the household. "
            "A resident always orders for their own household."
        ),
    )


class PaymentSerializer(Serializer):
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    method = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class CancelOrderSerializer(Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderFilter(FilterSet):
    round = IdFilter(field_name="round")
    household = IdFilter(field_name="household")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)

    class Meta:
        model = Order
        fields = ["round", "household", "status", "payment_status"]


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.orders_visible_to(self.request.user).order_by("-created_at", "-pk")

    def _respond(self, order, *, code=status.HTTP_200_OK):
        # The order was just reached through the scoped queryset or placed by this user.
        fresh = selectors.orders_with_lines(Order.objects.filter(pk=order.pk)).get()
        return Response(self.get_serializer(fresh).data, code)

    def _household_and_channel(self, supply_round: SupplyRound, household_id: int | None):
        """Whose order it is and how it came: their own, the hotline's, or the leader's."""
        user = self.request.user
        own = Household.objects.filter(account=user).first()  # a login's own household
        if household_id is None or (own is not None and own.pk == household_id):
            if own is None:
                raise exceptions.ValidationError(
                    {"household": [_("Say which household the order is for.")]}
                )
            by_app = isinstance(self.request.successful_authenticator, TokenAuthentication)
            return own, Channel.API if by_app else Channel.RESIDENT
        staffed = households_staffed_by(user).filter(pk=household_id).first()
        if staffed is not None:
            return staffed, Channel.HOTLINE
        if supply_round.leader_id == user.pk:
            served = selectors.households_served_by(supply_round).filter(pk=household_id).first()
            if served is not None:
                return served, Channel.LEADER
        raise exceptions.ValidationError({"household": [_("You cannot order for this household.")]})

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer})
    def create(self, request):
        """Place an order: a resident for their household, staff on the hotline or the round's
        leader for a household they name. A sold-out pack answers 400 with code `sold_out`."""
        data = OrderCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        supply_round = data.validated_data["round"]
        household, channel = self._household_and_channel(
            supply_round, data.validated_data.get("household")
        )
        order = order_place(
            household=household,
            supply_round=supply_round,
            quantities=data.validated_data["lines"],
            placed_by=request.user,
            channel=channel,
        )
        return self._respond(order, code=status.HTTP_201_CREATED)

    def _update_lines(self, request, pk):
        order = get_object_or_404(self.get_queryset(), pk=pk)
        data = OrderLinesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_update(order=order, quantities=data.validated_data["lines"], by=request.user)
        return self._respond(order)

    @extend_schema(request=OrderLinesInputSerializer, responses=OrderSerializer)
    def partial_update(self, request, pk=None):
        """Replace the order's lines while the round is open; stock follows the difference."""
        return self._update_lines(request, pk)

    @extend_schema(request=OrderLinesInputSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        """Replace the order's lines while the round is open; stock follows the difference."""
        return self._update_lines(request, pk)

    @extend_schema(request=CancelOrderSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the order while the round is open; its packs go back to stock."""
        order = get_object_or_404(self.get_queryset(), pk=pk)
        data = CancelOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_cancel(order=order, by=request.user, **data.validated_data)
        return self._respond(order)

    @extend_schema(request=PaymentSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def payment(self, request, pk=None):
        """Record payment (`paid` needs a method) or waive it: staff or the round's leader."""
        order = get_object_or_404(self.get_queryset(), pk=pk)
        if not selectors.orders_managed_by(request.user).filter(pk=pk).exists():
            raise exceptions.PermissionDenied(_("Only staff or the group leader record payments."))
        data = PaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_record_payment(order=order, by=request.user, **data.validated_data)
        return self._respond(order)
