"""What a volunteer has today, shown on their home page by the apps that hand out the work.

`volunteers` imports neither `deliveries` nor `medical`: each of them registers a panel in its
`AppConfig.ready()`, a function (volunteer, now) → the context of its own template, or None
when it has nothing to show. A panel runs a fixed number of queries, whatever it counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from volunteers.models import Volunteer

Panel = Callable[[Volunteer, datetime.datetime], dict | None]

_panels: list[Panel] = []


def panel_register(panel: Panel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def panels_for(volunteer: Volunteer, *, now: datetime.datetime) -> list[dict]:
    """Each registered panel's context ({"template": …, …}), in the order they registered."""
    return [shown for panel in _panels if (shown := panel(volunteer, now)) is not None]
