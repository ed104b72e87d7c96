"""Spreadsheets of a round's plan (XLSX), headers in the active language."""

import tablib
from django.utils.translation import gettext as _

from core.spreadsheets import spreadsheet_xlsx
from deliveries import selectors
from deliveries.models import CollectionPoint
from supplies.models import SupplyRound


def manifest_export(*, supply_round: SupplyRound, point: CollectionPoint) -> bytes:
    """Packs per package type the supplier's trucks drop at one point, and their total."""
    plan = selectors.round_plan_of(supply_round)
    day = plan.pickup_date.isoformat() if plan else ""
    rows = selectors.manifest(supply_round, point)
    dataset = tablib.Dataset(
        headers=[_("Round"), _("Collection point"), _("Pickup day"), _("Package"), _("Packs")],
        title=_("Manifest"),
    )
    for name, packs in rows:
        dataset.append((supply_round.title, point.name, day, name, packs))
    dataset.append(("", "", "", _("Total"), sum(packs for _name, packs in rows)))
    return spreadsheet_xlsx(dataset)
