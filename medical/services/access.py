"""Who may act on a resident's medical errands: one check each, shared by every service."""

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from residents.models import Resident
from residents.selectors import compounds_staffed_by
from volunteers.models import Volunteer, VolunteerStatus


def staffs_resident(user: User, resident: Resident) -> bool:
    """Whether the user is staff of the committee that runs the resident's compound."""
    compound_id = resident.household.building.compound_id
    return compounds_staffed_by(user).filter(pk=compound_id).exists()


def require_staff_of(resident: Resident, user: User) -> None:
    if not staffs_resident(user, resident):
        raise ApplicationError(
            _("Only the committee's staff may do this."), extra={"code": "not_allowed"}
        )


def check_volunteer_for(resident: Resident, volunteer: Volunteer) -> None:
    """A volunteer given a resident's errand or trip: approved, of the resident's committee."""
    committee_id = resident.household.building.compound.committee_id
    if volunteer.status != VolunteerStatus.APPROVED or volunteer.committee_id != committee_id:
        raise ApplicationError(
            _("Choose an approved volunteer of the committee."),
            extra={"code": "volunteer_not_eligible"},
        )
