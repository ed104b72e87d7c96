"""What happened, stored as a code and its parameters, and put into words when someone reads it.

A row that tells people something (a notice, a job's message, a delivery's items) keeps
`{"code": ..., "params": {...}}` next to the text it was first written in. Each app registers
its codes here once, with a translatable template (and a title, for notices); the words are
made at read time in the reader's language. A parameter that needs words of its own (a day, a
choice's label) is stored as data and turned into words by the code's `prepare`. A row
without a code, or with a code nobody registered, shows the text it was stored with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Params = dict[str, object]


@dataclass(frozen=True)
class Wording:
    text: object  # a lazy translatable template with %(name)s placeholders
    title: object | None = None
    prepare: Callable[[Params], Params] | None = None

    def say(self, template, params: Params) -> str:
        prepared = self.prepare(dict(params)) if self.prepare else params
        return str(template) % prepared if prepared else str(template)


WORDINGS: dict[str, Wording] = {}


@dataclass(frozen=True)
class Said:
    """One thing that happened: a registered code and its (JSON) parameters."""

    code: str
    params: Params = field(default_factory=dict)

    def stored(self) -> dict:
        return {"code": self.code, "params": self.params}

    @property
    def text(self) -> str:
        return words(self.stored())

    @property
    def title(self) -> str:
        return words(self.stored(), part="title")

    def __str__(self) -> str:
        return self.text


def wording(
    code: str,
    text,
    *,
    title=None,
    prepare: Callable[[Params], Params] | None = None,
) -> Callable[..., Said]:
    """Register `code`; returns a maker of `Said` for it: `SCHEDULED(slots=3, points=1)`."""
    WORDINGS[code] = Wording(text=text, title=title, prepare=prepare)

    def said(**params) -> Said:
        return Said(code, params)

    return said


def words(stored: dict | None, fallback: str = "", *, part: str = "text") -> str:
    """`stored` ({"code", "params"}) in words in the active language, else `fallback`."""
    entry = WORDINGS.get((stored or {}).get("code", ""))
    template = getattr(entry, part, None) if entry else None
    if template is None:
        return fallback
    try:
        return entry.say(template, stored.get("params") or {})
    except (KeyError, TypeError, ValueError):  # a row older than its template: keep its text
        return fallback
