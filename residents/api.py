"""REST API of the register: read through the selectors, write through the services."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.filters import FilterSet, IdFilter, YesNoFilter
from core.serializers import ModelSerializer, ScopedPrimaryKeyField, Serializer
from residents import selectors
from residents.models import (
    Building,
    ClosureChange,
    ClosureLevel,
    Compound,
    Household,
    Need,
    Resident,
)
from residents.scope import StaffWrites
from residents.services import (
    building_set_closure,
    household_create,
    household_update,
    resident_create,
    resident_update,
)


class CompoundSerializer(ModelSerializer):
    committee = serializers.StringRelatedField()
    committee_id = serializers.IntegerField(
        read_only=True, help_text=_("What a volunteer's registration names.")
    )

    class Meta:
        model = Compound
        fields = ["id", "name", "address", "committee", "committee_id"]


class BuildingSerializer(ModelSerializer):
    closure_level = serializers.ChoiceField(choices=ClosureLevel.choices, read_only=True)

    class Meta:
        model = Building
        fields = [
            "id",
            "compound",
            "label",
            "units",
            "floors",
            "position_x",
            "position_y",
            "closure_level",
        ]


class BuildingWithCountsSerializer(BuildingSerializer):
    household_count = serializers.IntegerField(read_only=True)
    resident_count = serializers.IntegerField(read_only=True)
    vulnerable_household_count = serializers.IntegerField(read_only=True)

    class Meta(BuildingSerializer.Meta):
        fields = [
            *BuildingSerializer.Meta.fields,
            "household_count",
            "resident_count",
            "vulnerable_household_count",
        ]


class ClosureInputSerializer(Serializer):
    level = serializers.ChoiceField(choices=ClosureLevel.choices)
    reason = serializers.CharField(max_length=300)


class ClosureChangeSerializer(ModelSerializer):
    changed_by = serializers.StringRelatedField()

    class Meta:
        model = ClosureChange
        fields = ["id", "building", "from_level", "to_level", "reason", "changed_by", "changed_at"]


class HouseholdSerializer(ModelSerializer):
    building = ScopedPrimaryKeyField(scope=selectors.buildings_staffed_by)
    is_vulnerable = serializers.BooleanField(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "building",
            "unit",
            "room",
            "contact_phone",
            "is_vulnerable",
            "created_at",
            "updated_at",
        ]


class ResidentSerializer(ModelSerializer):
    household = ScopedPrimaryKeyField(scope=selectors.households_visible_to)
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Need.choices), source="need_codes", required=False
    )
    is_vulnerable = serializers.BooleanField(read_only=True)
    age = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "name",
            "phone",
            "birth_date",
            "age",
            "sex",
            "needs",
            "is_vulnerable",
            "care_level",
            "notes",
            "created_at",
            "updated_at",
        ]


# Related filters take plain ids, never checked against all rows, so that a filter cannot
# tell whether another committee's compound or building exists.
class BuildingFilter(FilterSet):
    compound = IdFilter(field_name="compound")
    closure_level = django_filters.ChoiceFilter(choices=ClosureLevel.choices)

    class Meta:
        model = Building
        fields = ["compound", "closure_level"]


class HouseholdFilter(FilterSet):
    compound = IdFilter(field_name="building__compound")
    building = IdFilter(field_name="building")
    unit = IdFilter(field_name="unit")  # a whole number from 1, as an id is
    vulnerable = YesNoFilter(method="filter_vulnerable")

    class Meta:
        model = Household
        fields = ["building", "unit", "room", "compound", "vulnerable"]

    def filter_vulnerable(self, queryset, name, value):
        return queryset.filter(is_vulnerable=value)


class ResidentFilter(FilterSet):
    compound = IdFilter(field_name="household__building__compound")
    building = IdFilter(field_name="household__building")
    household = IdFilter(field_name="household")
    need = django_filters.ChoiceFilter(
        field_name="needs__need", choices=Need.choices, distinct=True
    )

    class Meta:
        model = Resident
        fields = ["household", "building", "compound", "need", "care_level"]


class StaffMayWrite(StaffWrites):
    message = _("Only committee or street staff may change the register.")


WRITE_PERMISSIONS = [permissions.IsAuthenticated, StaffMayWrite]


class CompoundViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CompoundSerializer

    def get_queryset(self):
        return selectors.compounds_visible_to(self.request.user).order_by("name")


class BuildingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BuildingWithCountsSerializer
    filterset_class = BuildingFilter
    permission_classes = WRITE_PERMISSIONS

    def get_queryset(self):
        return selectors.buildings_with_counts(
            selectors.buildings_visible_to(self.request.user)
        ).order_by("compound", *selectors.BUILDING_ORDER)

    @extend_schema(request=ClosureInputSerializer, responses=BuildingSerializer)
    @action(detail=True, methods=["post"])
    def closure(self, request, pk=None):
        """Set the building's closure level (`sealed`, `controlled`, `precaution`) with a reason."""
        building = get_object_or_404(selectors.buildings_staffed_by(request.user), pk=pk)
        data = ClosureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        building_set_closure(building=building, by=request.user, **data.validated_data)
        return Response(BuildingSerializer(building).data)


class HouseholdViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    permission_classes = WRITE_PERMISSIONS

    def get_queryset(self):
        return selectors.households_visible_to(self.request.user).order_by(
            "building", "unit", "room"
        )

    def perform_create(self, serializer):
        household = household_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=household.pk)

    def perform_update(self, serializer):
        household_update(
            household=serializer.instance, by=self.request.user, **serializer.validated_data
        )


class ResidentViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    permission_classes = WRITE_PERMISSIONS

    def get_queryset(self):
        return selectors.residents_visible_to(self.request.user).order_by("household", "pk")

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        needs = fields.pop("need_codes", [])
        resident = resident_create(by=self.request.user, needs=needs, **fields)
        serializer.instance = self.get_queryset().get(pk=resident.pk)

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        needs = fields.pop("need_codes", None)
        resident_update(resident=serializer.instance, by=self.request.user, needs=needs, **fields)
