"""REST API of supplies: read through the scoped selectors, write through the services.

Another committee's round or order is a 404; a round or order the user sees but may not
manage (a leader approving, a resident recording a payment) is a 403."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.serializers import ModelSerializer, ScopedId, ScopedPrimaryKeyField, Serializer
from core.validators import validate_event_date
from residents.models import Role
from residents.scope import StaffWrites
from residents.selectors import (
    committees_staffed_by,
    committees_with_role,
    user_is_staff_member,
)
from supplies import selectors
from supplies.models import (
    AllocationRule,
    Category,
    Offer,
    PackageType,
    RoundKind,
    RoundStatus,
    Supplier,
    SupplyRound,
)
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


class StaffMayWrite(StaffWrites):
    """Staff and leaders read suppliers and packages; only staff change them."""

    message = gettext_lazy("Only committee or street staff may change suppliers and packages.")


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
