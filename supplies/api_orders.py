"""The API of orders: households order in an open round (a resident for their own household,
staff and group leaders for those they serve), edit and cancel them, and staff record payment.
Every order is scoped to who is asking; another household's is a 404."""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter
from core.serializers import ModelSerializer, ScopedId, Serializer
from residents.models import Household
from residents.selectors import (
    households_staffed_by,
)
from supplies import selectors
from supplies.models import (
    Channel,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    SupplyRound,
)
from supplies.services.orders import order_cancel, order_place, order_record_payment, order_update


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
