"""Pages of a lower app that show what the apps above it have: the volunteer's home shows the
deliveries and the medicine errands of the day, the compound overview the residents nobody
has reached in 48 hours.

The page's app imports none of them. Each app registers a panel for a page in its
`AppConfig.ready()`: a function of the page's context (keyword arguments, the same for every
panel of the page) returning the context of its own template ({"template": …, …}), or None
when it has nothing to show. A panel runs a fixed number of queries, whatever it counts. The
page includes each one: `{% for panel in panels %}{% include panel.template %}{% endfor %}`."""

from __future__ import annotations

from collections.abc import Callable

Panel = Callable[..., dict | None]

VOLUNTEER_HOME = "volunteer_home"  # volunteer=, now=
COMPOUND_OVERVIEW = "compound_overview"  # user=, compound=

_panels: dict[str, list[Panel]] = {}


def panel_register(page: str, panel: Panel) -> None:
    panels = _panels.setdefault(page, [])
    if panel not in panels:
        panels.append(panel)


def panels_for(page: str, **context) -> list[dict]:
    """Each panel registered for the page, in the order they registered, that has something
    to show."""
    return [shown for panel in _panels.get(page, []) if (shown := panel(**context)) is not None]
