"""Which volunteer carries which delivery: a pure algorithm over plain dataclasses (no Django,
nothing of the project), wrapped by `deliveries.services.assignment`, which loads a round's
open deliveries and the volunteers on shift and saves the assignment.

`assign(stops, volunteers)` keeps each building with one volunteer where it can, then each
unit, and balances the load.

How it works
------------
Let N be the deliveries, V the volunteers and T = ceil(N / V), the target. Buildings are taken
largest first (ties by label). A building goes whole to the least-loaded volunteer when it fits
under T. Otherwise it is split by units, largest first: each unit goes whole to the volunteer
with the tightest room it fits in (keeping the roomiest ones for the buildings to come); a
unit that fits nobody is poured, floor by floor, into the fullest volunteers that have room.

What it guarantees (proved)
---------------------------
1. Every delivery is assigned exactly once (when V >= 1; with no volunteer every delivery is
   listed in `unassigned`, never dropped).
2. No volunteer carries more than T = ceil(N / V), which is optimal: some volunteer must carry
   at least N / V. Proof: a delivery is only ever given to a volunteer whose load is below T
   (whole buildings and units only when they fit under T; pouring fills up to T). Before any
   delivery d is given, the loads sum to less than N <= V * T, so some volunteer is below T and
   pouring never runs out of room.
3. A building is split only when, at its turn, no volunteer has room for it whole (the
   least-loaded one has the most room); a unit is split only when nobody has room for it
   whole. Each split is reported in `splits` with the room the roomiest volunteer had.
   This is greedy, not a minimum number of splits overall (deciding that is bin packing,
   NP-hard); a building larger than T is always split, as it must be. In particular, when
   no building is larger than T and there are no more buildings than volunteers, nothing is
   split: each building, at its turn, finds a volunteer with nothing yet.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

FLOOR_DIGITS = re.compile(r"\d+")


def floor_of(room: str) -> int | None:
    """The floor from a room number: "1201" → 12, "301" → 3, "B-502" → 5; None when the
    room has fewer than three digits to tell it by."""
    match = FLOOR_DIGITS.search(room or "")
    if match is None or len(match.group()) < 3:
        return None
    return int(match.group()[:-2])


@dataclass(frozen=True)
class Stop:
    """One delivery to carry: where it goes in a building."""

    id: int
    building: str
    unit: int
    floor: int | None = None


@dataclass(frozen=True)
class Carrier:
    """A volunteer on shift."""

    id: int


@dataclass(frozen=True)
class Split:
    building: str
    unit: int | None  # None: the building was split by units; a number: that unit was poured
    size: int
    room: int  # the most room any volunteer had at the building's (or unit's) turn


@dataclass
class Assignment:
    target: int
    loads: dict[int, list[int]] = field(default_factory=dict)  # volunteer id → delivery ids
    unassigned: list[int] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)

    def volunteer_of(self) -> dict[int, int]:
        return {stop: carrier for carrier, stops in self.loads.items() for stop in stops}


def _floor_key(stop: Stop) -> tuple:
    return (stop.floor is None, stop.floor or 0, stop.id)


def assign(stops: list[Stop], carriers: list[Carrier]) -> Assignment:
    if not carriers:
        return Assignment(target=0, unassigned=sorted(stop.id for stop in stops))
    order = [carrier.id for carrier in carriers]
    loads: dict[int, list[int]] = {carrier: [] for carrier in order}
    target = math.ceil(len(stops) / len(order))
    result = Assignment(target=target, loads=loads)

    def least_loaded() -> int:
        return min(order, key=lambda carrier: (len(loads[carrier]), order.index(carrier)))

    def room(carrier: int) -> int:
        return target - len(loads[carrier])

    buildings: dict[str, list[Stop]] = defaultdict(list)
    for stop in stops:
        buildings[stop.building].append(stop)
    for label in sorted(buildings, key=lambda label: (-len(buildings[label]), label)):
        building = buildings[label]
        carrier = least_loaded()
        if len(building) <= room(carrier):
            loads[carrier].extend(stop.id for stop in sorted(building, key=_floor_key))
            continue
        result.splits.append(Split(label, None, len(building), room(carrier)))
        units: dict[int, list[Stop]] = defaultdict(list)
        for stop in building:
            units[stop.unit].append(stop)
        for unit in sorted(units, key=lambda unit: (-len(units[unit]), unit)):
            walk = sorted(units[unit], key=_floor_key)
            fitting = [carrier for carrier in order if room(carrier) >= len(walk)]
            if fitting:  # the tightest fit, keeping the roomiest for the buildings to come
                carrier = min(fitting, key=lambda carrier: (room(carrier), order.index(carrier)))
                loads[carrier].extend(stop.id for stop in walk)
                continue
            result.splits.append(Split(label, unit, len(walk), room(least_loaded())))
            while walk:  # fill the fullest volunteers with room first; room >= 1: guarantee 2
                carrier = min(
                    (carrier for carrier in order if room(carrier) > 0),
                    key=lambda carrier: (room(carrier), order.index(carrier)),
                )
                take = room(carrier)
                loads[carrier].extend(stop.id for stop in walk[:take])
                walk = walk[take:]
    return result
