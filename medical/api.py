"""REST API of medical errands: read through the scoped selectors, write through the services.

A request the user may not see (another committee's, another volunteer's, another
household's) is a 404; a step out of order or not theirs to take answers 400 with a `code`."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.serializers import ModelSerializer, ScopedId, Serializer
from core.validators import validate_event_date
from deliveries.services.pickups import points_at_gate
from medical import selectors
from medical.models import (
    CheckIn,
    CheckInKind,
    CustodyEvent,
    CustodyItem,
    Holder,
    MedicalTransport,
    MedicineItem,
    MedicineRequest,
    TransportKind,
    Urgency,
)
from medical.services import medicine as services
from medical.services import register, transports
from residents.selectors import residents_visible_to, user_is_staff_member
from volunteers.selectors import volunteers_managed_by

# Medicine requests


class MedicineItemSerializer(ModelSerializer):
    class Meta:
        model = MedicineItem
        fields = [
            "id",
            "medicine",
            "strength",
            "quantity",
            "notes",
            "substitute",
            "substitute_note",
        ]
        read_only_fields = ["id", "substitute", "substitute_note"]
        extra_kwargs = {"quantity": {"min_value": 1, "max_value": 999}}


class MedicineRequestSerializer(ModelSerializer):
    items = MedicineItemSerializer(many=True, read_only=True)
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    household = serializers.CharField(source="resident.household", read_only=True)
    volunteer_name = serializers.CharField(
        source="volunteer.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = MedicineRequest
        fields = [
            "id",
            "resident",
            "resident_name",
            "household",
            "hospital",
            "urgency",
            "chronic",
            "status",
            "volunteer",
            "volunteer_name",
            "substitute_confirmed",
            "cost",
            "receipt",
            "delivery",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MedicineRequestInputSerializer(Serializer):
    resident = ScopedId(scope=residents_visible_to)
    hospital = serializers.CharField(max_length=100)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    chronic = serializers.BooleanField(required=False, default=False)
    items = MedicineItemSerializer(many=True)


class NoteSerializer(Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TriageSerializer(NoteSerializer):
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)


class AssignSerializer(Serializer):
    volunteer = ScopedId(scope=volunteers_managed_by)


class SubstituteSerializer(NoteSerializer):
    item = serializers.IntegerField()
    substitute = serializers.CharField(max_length=150)


class PurchasedSerializer(Serializer):
    cost = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)
    receipt = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MedicineRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MedicineRequestSerializer

    def get_queryset(self):
        return selectors.by_urgency(selectors.medicine_requests_visible_to(self.request.user))

    def _respond(self, request_row, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=request_row.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def _step(self, pk, service, serializer_class=None, **kwargs):
        row = get_object_or_404(self.get_queryset(), pk=pk)
        if serializer_class is not None:
            data = serializer_class(data=self.request.data, context={"request": self.request})
            data.is_valid(raise_exception=True)
            kwargs.update(data.validated_data)
        return self._respond(service(request=row, by=self.request.user, **kwargs))

    @extend_schema(
        request=MedicineRequestInputSerializer, responses={201: MedicineRequestSerializer}
    )
    def create(self, request):
        """File a request for a resident: yours, or (staff) one who called the hotline."""
        data = MedicineRequestInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        row = services.medicine_request_file(by=request.user, **data.validated_data)
        return self._respond(row, status.HTTP_201_CREATED)

    @extend_schema(request=TriageSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Staff: ready a submitted request for a run, optionally changing its urgency."""
        return self._step(pk, services.medicine_request_triage, TriageSerializer)

    @extend_schema(request=AssignSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Staff: give the request to an approved volunteer of the committee."""
        return self._step(pk, services.medicine_request_assign, AssignSerializer)

    @extend_schema(request=None, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def purchasing(self, request, pk=None):
        """The assigned volunteer is buying at the hospital."""
        return self._step(pk, services.medicine_request_purchasing)

    @extend_schema(request=SubstituteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"], url_path="propose-substitute")
    def propose_substitute(self, request, pk=None):
        """Propose a substitute for an item; the request waits for confirmation."""
        row = get_object_or_404(self.get_queryset(), pk=pk)
        data = SubstituteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = get_object_or_404(row.items.all(), pk=data.validated_data["item"])
        row = services.medicine_substitute_propose(
            request=row,
            item=item,
            substitute=data.validated_data["substitute"],
            note=data.validated_data["note"],
            by=request.user,
        )
        return self._respond(row)

    @extend_schema(request=NoteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-substitute")
    def confirm_substitute(self, request, pk=None):
        """The resident, or staff after a call with the doctor, accept the substitute."""
        return self._step(pk, services.medicine_substitute_confirm, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"], url_path="refuse-substitute")
    def refuse_substitute(self, request, pk=None):
        """The resident, or staff, refuse the substitute."""
        return self._step(pk, services.medicine_substitute_refuse, NoteSerializer)

    @extend_schema(request=PurchasedSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def purchased(self, request, pk=None):
        """Bought, with cost and receipt; a door delivery is made. Refused with code
        `substitute_unconfirmed` while a substitute waits."""
        return self._step(pk, services.medicine_request_purchased, PurchasedSerializer)

    @extend_schema(request=None, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def delivered(self, request, pk=None):
        """The medicine reached the door."""
        return self._step(pk, services.medicine_request_delivered)

    @extend_schema(request=NoteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Staff: close a delivered request; refused with code `card_not_returned` while a
        card or booklet is not back with the resident."""
        return self._step(pk, services.medicine_request_close, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def unavailable(self, request, pk=None):
        """The medicine cannot be had."""
        return self._step(pk, services.medicine_request_unavailable, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses=MedicineRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The resident or staff call it off before anything is bought."""
        return self._step(pk, services.medicine_request_cancel, NoteSerializer)


# Custody


class CustodyEventSerializer(ModelSerializer):
    class Meta:
        model = CustodyEvent
        fields = [
            "id",
            "request",
            "item",
            "from_holder",
            "to_holder",
            "from_volunteer",
            "to_volunteer",
            "logged_by",
            "at",
        ]
        read_only_fields = fields


class CustodyInputSerializer(Serializer):
    request = ScopedId(
        scope=selectors.medicine_requests_visible_to,
        help_text=gettext_lazy("The medicine request the card or booklet travels for."),
    )
    item = serializers.ChoiceField(choices=CustodyItem.choices)
    to_holder = serializers.ChoiceField(choices=Holder.choices)


class CustodyEventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CustodyEventSerializer

    def get_queryset(self):
        return selectors.custody_visible_to(self.request.user).order_by("at", "pk")

    @extend_schema(request=CustodyInputSerializer, responses={201: CustodyEventSerializer})
    def create(self, request):
        """Log a card or booklet changing hands: to the volunteer, the hospital, or home."""
        data = CustodyInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        event = services.custody_log(by=request.user, **data.validated_data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


# Medical transport


class TransportSerializer(ModelSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)

    class Meta:
        model = MedicalTransport
        fields = [
            "id",
            "resident",
            "resident_name",
            "kind",
            "hospital",
            "appointment_at",
            "recurrence",
            "escort",
            "vehicle",
            "status",
            "code",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields


class TransportInputSerializer(Serializer):
    resident = ScopedId(scope=residents_visible_to)
    kind = serializers.ChoiceField(choices=TransportKind.choices)
    hospital = serializers.CharField(max_length=100)
    appointment_at = serializers.DateTimeField(validators=[validate_event_date])
    recurrence = serializers.CharField(max_length=100, required=False, allow_blank=True)
    escort = ScopedId(scope=volunteers_managed_by, required=False, allow_null=True)
    vehicle = serializers.CharField(max_length=60, required=False, allow_blank=True)


class TransportConfirmSerializer(NoteSerializer):
    escort = ScopedId(scope=volunteers_managed_by, required=False, allow_null=True)
    vehicle = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class TransportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TransportSerializer

    def get_queryset(self):
        return selectors.transports_visible_to(self.request.user).order_by("appointment_at", "pk")

    def _step(self, pk, service, serializer_class):
        transport = get_object_or_404(self.get_queryset(), pk=pk)
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        transport = service(transport=transport, by=self.request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=transport.pk)).data)

    @extend_schema(request=TransportInputSerializer, responses={201: TransportSerializer})
    def create(self, request):
        """Book a trip to a hospital for a resident (staff); it gets an exit pass code."""
        data = TransportInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if not user_is_staff_member(request.user):
            raise exceptions.PermissionDenied(_("Only the committee's staff may book a transport."))
        transport = transports.transport_request(by=request.user, **data.validated_data)
        fresh = self.get_queryset().get(pk=transport.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransportConfirmSerializer, responses=TransportSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Staff confirm the trip, optionally naming the escort and the vehicle."""
        return self._step(pk, transports.transport_confirm, TransportConfirmSerializer)

    @extend_schema(request=NoteSerializer, responses=TransportSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """The resident is back home."""
        return self._step(pk, transports.transport_done, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses=TransportSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Call the trip off."""
        return self._step(pk, transports.transport_cancel, NoteSerializer)


class ExitPassCodeSerializer(Serializer):
    code = serializers.CharField(
        max_length=20, help_text=gettext_lazy("The 8-character exit pass code; spaces are ignored.")
    )
    point = serializers.IntegerField(help_text=gettext_lazy("The collection point you are at."))


class ExitPassSerializer(Serializer):
    transport = serializers.IntegerField(source="pk")
    resident_name = serializers.CharField(source="resident.name")
    building = serializers.CharField(source="resident.household.building.label")
    unit = serializers.IntegerField(source="resident.household.unit")
    room = serializers.CharField(source="resident.household.room")
    kind = serializers.ChoiceField(choices=TransportKind.choices)
    hospital = serializers.CharField()
    appointment_at = serializers.DateTimeField()
    escort_name = serializers.CharField(source="escort.name", default=None, read_only=True)
    vehicle = serializers.CharField()
    status = serializers.CharField()


class ExitPassViewSet(viewsets.ViewSet):
    """Check a resident's exit pass at the gate: for volunteers on a supply shift at the
    point's compound and its staff, like a pickup code. A pass that does not let the resident
    out now is a 400 with a `code` and a `detail` that says why (not confirmed, cancelled,
    over, not today, not this compound's); a point the user does not serve is a 404."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ExitPassCodeSerializer, responses={200: ExitPassSerializer})
    @action(detail=False, methods=["post"])
    def verify(self, request):
        """The trip the pass lets out now; changes nothing."""
        data = ExitPassCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        point = get_object_or_404(
            points_at_gate(request.user, at=now), pk=data.validated_data["point"]
        )
        transport = transports.transport_pass_check(
            code=data.validated_data["code"], point=point, by=request.user, at=now
        )
        return Response(ExitPassSerializer(transport).data)


# Vulnerable register


class RegisterEntrySerializer(Serializer):
    id = serializers.IntegerField(source="resident.pk")
    name = serializers.CharField(source="resident.name")
    household = serializers.CharField(source="resident.household")
    needs = serializers.ListField(child=serializers.CharField(), source="resident.need_codes")
    last_contact = serializers.DateTimeField(allow_null=True)
    no_contact_48h = serializers.BooleanField()


RESIDENT_ID = gettext_lazy("The resident's id.")


class CheckInInputSerializer(Serializer):
    kind = serializers.ChoiceField(choices=CheckInKind.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CheckInSerializer(ModelSerializer):
    by = serializers.StringRelatedField()

    class Meta:
        model = CheckIn
        fields = ["id", "resident", "kind", "note", "by", "at"]
        read_only_fields = fields


class VulnerableResidentViewSet(viewsets.ViewSet):
    """Every vulnerable resident of your compounds with their last contact; staff only."""

    serializer_class = RegisterEntrySerializer
    pagination_class = None

    @extend_schema(responses=RegisterEntrySerializer(many=True))
    def list(self, request):
        if not user_is_staff_member(request.user):
            raise exceptions.PermissionDenied(_("Only the committee's staff may do this."))
        entries = selectors.vulnerable_register(request.user)
        return Response(RegisterEntrySerializer(entries, many=True).data)

    @extend_schema(
        request=CheckInInputSerializer,
        responses={201: CheckInSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=RESIDENT_ID)],
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Log a call or a visit to the resident (`id`): it counts as contact, as on the
        register page. A resident outside your compounds is a 404."""
        if not user_is_staff_member(request.user):
            raise exceptions.PermissionDenied(_("Only the committee's staff may do this."))
        resident = get_object_or_404(residents_visible_to(request.user), pk=pk)
        data = CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        logged = register.check_in_log(resident=resident, by=request.user, **data.validated_data)
        return Response(CheckInSerializer(logged).data, status=status.HTTP_201_CREATED)
