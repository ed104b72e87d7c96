"""What a closure change re-planned, for a committee's tools as for the staff's inbox: per
round and building, the pickups turned into door deliveries and back, the slot places freed
and the households left without a slot. Rounds the user manages; anything else is a 404."""

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from core.filters import FilterSet
from core.serializers import ModelSerializer
from deliveries.api import STAFF_ONLY
from deliveries.models import Replan
from residents.models import ClosureLevel
from supplies.selectors import rounds_managed_by


class ReplanSerializer(ModelSerializer):
    building_label = serializers.CharField(source="building.label", read_only=True)
    from_level = serializers.ChoiceField(
        ClosureLevel.choices, source="change.from_level", read_only=True
    )
    to_level = serializers.ChoiceField(
        ClosureLevel.choices, source="change.to_level", read_only=True
    )
    reason = serializers.CharField(source="change.reason", read_only=True)

    class Meta:
        model = Replan
        fields = [
            "id",
            "round",
            "building",
            "building_label",
            "change",
            "from_level",
            "to_level",
            "reason",
            "at",
            "to_delivery",
            "to_pickup",
            "slots_freed",
            "unplaced",
        ]
        read_only_fields = fields


class ReplanFilter(FilterSet):  # round and building: plain ids, as every foreign key's filter
    class Meta:
        model = Replan
        fields = ["round", "building"]


class ReplanViewSet(viewsets.ReadOnlyModelViewSet):
    """Re-plans of the rounds you manage, newest first."""

    serializer_class = ReplanSerializer
    permission_classes = STAFF_ONLY
    filterset_class = ReplanFilter

    def get_queryset(self) -> QuerySet[Replan]:
        return (
            Replan.objects.filter(round__in=rounds_managed_by(self.request.user).values("pk"))
            .select_related("building", "change")
            .order_by("-at", "-pk")
        )
