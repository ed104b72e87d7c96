"""Reads of medicine requests and custody, starting from what the asking user may see:
the committee's staff, the assigned volunteer, and the resident's own household."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from medical.models import (
    OPEN_FOR_RUNS,
    URGENCY_ORDER,
    CheckIn,
    CustodyEvent,
    Holder,
    MedicalTransport,
    MedicineEvent,
    MedicineRequest,
    MedicineStatus,
    TransportStatus,
)
from residents.models import Resident
from residents.selectors import (
    AnyUser,
    compounds_staffed_by,
    residents_visible_to,
    residents_vulnerable,
)
from volunteers.models import Volunteer

CUSTODY_FLAG_AFTER = datetime.timedelta(hours=48)


def _with_relations(requests: QuerySet[MedicineRequest]) -> QuerySet[MedicineRequest]:
    return requests.select_related(
        "resident__household__building__compound", "volunteer", "delivery"
    ).prefetch_related("items")


def medicine_requests_visible_to(user: AnyUser) -> QuerySet[MedicineRequest]:
    """Staff see their compounds' requests; a volunteer those assigned to them; a resident's
    login their household's."""
    if not user.is_authenticated:
        return MedicineRequest.objects.none()
    scope = (
        Q(resident__household__building__compound__in=compounds_staffed_by(user).values("pk"))
        | Q(volunteer__user=user)
        | Q(resident__household__account=user)
    )
    return _with_relations(MedicineRequest.objects.filter(scope))


def medicine_requests_staffed_by(user: AnyUser) -> QuerySet[MedicineRequest]:
    return _with_relations(
        MedicineRequest.objects.filter(
            resident__household__building__compound__in=compounds_staffed_by(user).values("pk")
        )
    )


def medicine_requests_of_household(user: AnyUser) -> QuerySet[MedicineRequest]:
    if not user.is_authenticated:
        return MedicineRequest.objects.none()
    return _with_relations(MedicineRequest.objects.filter(resident__household__account=user))


def medicine_requests_assigned_to(volunteer: Volunteer) -> QuerySet[MedicineRequest]:
    return _with_relations(MedicineRequest.objects.filter(volunteer=volunteer))


def by_urgency(requests: QuerySet[MedicineRequest]) -> QuerySet[MedicineRequest]:
    """Red first, then yellow, then green; the oldest first within each."""
    rank = Case(
        *[When(urgency=value, then=Value(order)) for value, order in URGENCY_ORDER.items()],
        output_field=IntegerField(),
    )
    return requests.annotate(urgency_rank=rank).order_by("urgency_rank", "created_at", "pk")


@dataclass(frozen=True)
class Run:
    hospital: str
    requests: list[MedicineRequest]


def runs_by_hospital(requests: QuerySet[MedicineRequest]) -> list[Run]:
    """Open requests (triaged or assigned) grouped by hospital, so one volunteer takes a batch."""
    groups: dict[str, list[MedicineRequest]] = {}
    for request in by_urgency(requests.filter(status__in=OPEN_FOR_RUNS)):
        groups.setdefault(request.hospital.strip(), []).append(request)
    return [Run(hospital=name, requests=rows) for name, rows in sorted(groups.items())]


def _latest_custody() -> QuerySet[CustodyEvent]:
    """Only each (request, item)'s latest event: who holds the item now."""
    newest = CustodyEvent.objects.filter(
        request=OuterRef("request"), item=OuterRef("item")
    ).order_by("-at", "-pk")
    return CustodyEvent.objects.filter(pk=Subquery(newest.values("pk")[:1]))


def custody_held_by(volunteer: Volunteer) -> QuerySet[CustodyEvent]:
    """Every card and booklet the volunteer holds now, the longest-held first."""
    return (
        _latest_custody()
        .filter(to_holder=Holder.VOLUNTEER, to_volunteer=volunteer)
        .select_related("request__resident", "to_volunteer")
        .order_by("at", "pk")
    )


def custody_overdue(
    requests: QuerySet[MedicineRequest], *, now: datetime.datetime | None = None
) -> QuerySet[CustodyEvent]:
    """Cards and booklets held by a volunteer (not back with the resident) for over 48 h."""
    since = (now or timezone.now()) - CUSTODY_FLAG_AFTER
    return (
        _latest_custody()
        .filter(request__in=requests.values("pk"), to_holder=Holder.VOLUNTEER, at__lt=since)
        .select_related("request__resident", "to_volunteer")
        .order_by("at", "pk")
    )


def custody_visible_to(user: AnyUser) -> QuerySet[CustodyEvent]:
    return CustodyEvent.objects.filter(
        request__in=medicine_requests_visible_to(user).values("pk")
    ).select_related("to_volunteer", "from_volunteer")


# Medical transport ------------------------------------------------------------------------


def transports_visible_to(user: AnyUser) -> QuerySet[MedicalTransport]:
    """Staff see their compounds' transports; the escort theirs; a resident's login their
    household's."""
    if not user.is_authenticated:
        return MedicalTransport.objects.none()
    scope = (
        Q(resident__household__building__compound__in=compounds_staffed_by(user).values("pk"))
        | Q(escort__user=user)
        | Q(resident__household__account=user)
    )
    return MedicalTransport.objects.filter(scope).select_related(
        "resident__household__building__compound", "escort"
    )


def transports_staffed_by(user: AnyUser) -> QuerySet[MedicalTransport]:
    return MedicalTransport.objects.filter(
        resident__household__building__compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("resident__household__building__compound", "escort")


def transports_upcoming(transports: QuerySet[MedicalTransport]) -> QuerySet[MedicalTransport]:
    """Trips not done nor cancelled, the soonest appointment first."""
    finished = [TransportStatus.DONE, TransportStatus.CANCELLED]
    return transports.exclude(status__in=finished).order_by("appointment_at", "pk")


# Vulnerable register ----------------------------------------------------------------------

NO_CONTACT_AFTER = datetime.timedelta(hours=48)
# Greatest() is NULL on SQLite when any argument is: every source falls back to this instead.
NEVER = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _latest(queryset: QuerySet, field: str) -> Coalesce:
    newest = queryset.order_by(F(field).desc(nulls_last=True)).values(field)[:1]
    return Coalesce(Subquery(newest), Value(NEVER), output_field=DateTimeField())


def register_rows(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    """Each resident with `last_contact`: the latest delivered delivery to their household,
    medicine request delivered, transport done or logged call or visit (NEVER if none)."""
    deliveries = Delivery.objects.filter(
        household=OuterRef("household"), status=DeliveryStatus.DELIVERED
    ).annotate(moment=Coalesce("done_at", "updated_at"))
    medicine = MedicineEvent.objects.filter(
        request__resident=OuterRef("pk"), to_status=MedicineStatus.DELIVERED
    )
    transports = MedicalTransport.objects.filter(
        resident=OuterRef("pk"), status=TransportStatus.DONE
    )
    check_ins = CheckIn.objects.filter(resident=OuterRef("pk"))
    return residents.annotate(
        last_contact=Greatest(
            _latest(deliveries, "moment"),
            _latest(medicine, "at"),
            _latest(transports, "done_at"),
            _latest(check_ins, "at"),
        )
    )


@dataclass(frozen=True)
class RegisterEntry:
    resident: Resident
    last_contact: datetime.datetime | None
    no_contact_48h: bool


def vulnerable_register(
    user: AnyUser, *, now: datetime.datetime | None = None
) -> list[RegisterEntry]:
    """Every vulnerable resident the user may see, with their last contact, longest without
    contact first; a fixed number of queries however many residents."""
    since = (now or timezone.now()) - NO_CONTACT_AFTER
    residents = register_rows(residents_vulnerable(residents_visible_to(user)))
    entries = []
    for resident in residents.order_by("last_contact", "pk"):
        last = None if resident.last_contact <= NEVER else resident.last_contact
        entries.append(
            RegisterEntry(
                resident=resident, last_contact=last, no_contact_48h=last is None or last < since
            )
        )
    return entries


def no_contact_48h(entries: list[RegisterEntry]) -> list[RegisterEntry]:
    return [entry for entry in entries if entry.no_contact_48h]


def person_name(user, *, resident: Resident | None = None) -> str:
    """The name a person is known by, not their login: their full name, a volunteer's name,
    or, for the login of the resident's own household, the resident's name."""
    if user is None:
        return ""
    if user.get_full_name():
        return user.get_full_name()
    volunteer = getattr(user, "volunteer", None)
    if volunteer is not None:
        return volunteer.name
    household = getattr(user, "household", None)
    if household is not None and resident is not None and household.pk == resident.household_id:
        return resident.name
    return user.get_username()


def medicine_history(row: MedicineRequest) -> tuple[list[MedicineEvent], list[CustodyEvent]]:
    """A request's status events and custody moves, each with `actor_name`, the person who
    acted (see `person_name`), in two queries."""
    people = ("volunteer", "household")
    events = list(row.events.select_related("actor", *(f"actor__{person}" for person in people)))
    custody = list(
        row.custody_events.select_related(
            "to_volunteer", "logged_by", *(f"logged_by__{person}" for person in people)
        )
    )
    for event in events:
        event.actor_name = person_name(event.actor, resident=row.resident)
    for event in custody:
        event.actor_name = person_name(event.logged_by, resident=row.resident)
    return events, custody
