"""Staggered pickup (错峰领取): which units are called down in which slot at one collection point.

A pure algorithm over plain dataclasses (no Django, nothing of the project), wrapped by a service
that loads the units of a point and saves the slots. `plan_pickup_slots(pickups)` takes the
units picking up at one point, the window, the slot length and the crowd cap, and returns a
`Schedule`: the slots in time order with the units called in each, the units that did not fit
and why, and every unit that had to be split and why.

What the schedule guarantees
----------------------------
Let C be the crowd cap, P the people to call, LB = ceil(P / C) and W the whole slots that fit in
the window. No schedule can use fewer than LB slots.

1. No slot holds more than C people; slots are consecutive, from the start of the window, each
   exactly one slot length long, none empty and none past the end of the window.
2. When LB <= W, everyone is placed, in at most min(LB + extra_slots, W) slots (extra_slots is 1
   by default: the issue's "at most one slot more than the lower bound").
3. When LB > W the window is too short: the walk is followed as far as it fits (the longest
   prefix of the walking order with at most W * C people) and every unit after that is listed
   in `unplaced`, whole, with its people and the reason; `slots_short` and `time_short` say how
   much longer the window must be for everyone to fit (LB slots suffice: see "The bound").
4. Units are called in walking order (see below): one building's units together, by unit
   number, and a building is never interleaved with another one.
5. A unit is split only when it must be, and each split is reported in `splits`:
   - a unit with more than C people is always split (reason OVER_CAP) into consecutive slots;
   - a unit with at most C people is split (reason SLOT_BUDGET) into two consecutive slots, and
     only when every schedule in the walking order within the slot budget has an extra part.
   The schedule minimises the number of *extra parts* — parts beyond the ceil(p / C) a unit of p
   people needs anyway — over every schedule that calls the units in the walking order within
   the budget; among those it uses the fewest slots. So a unit of at most C people has one or
   two parts, and a unit of more than C people has ceil(p / C) or ceil(p / C) + 1 parts.

Why whole units alone cannot keep the bound
-------------------------------------------
With every unit whole, the bound LB + 1 is false in general: n units of C/2 + 1 people each
(C even) need n slots, since no two fit together, while LB = ceil(n (C/2 + 1) / C) is about
n / 2. Deciding whether whole units fit in k slots is bin packing, NP-hard in general, and even
an optimal packing cannot beat this example. So the issue's two wishes — "each unit in one
slot" and "at most one slot more than ceil(people / cap)" — conflict, and the schedule resolves
the conflict this way: the slot bound always holds, units stay whole whenever some schedule in
the walking order allows it within the budget, and otherwise the fewest units are split, each
across two consecutive slots (the two halves of the unit come down one after the other), and
reported. The extra slot is what buys whole units: the schedule prefers LB + 1 slots with fewer
splits to LB slots with more. A committee that would rather never split small units can pass a
larger `extra_slots`: with extra_slots >= the number of units, and a window that long, no unit
is cut into more parts than ceil(p / C), since sum(ceil(p / C)) < P / C + n.

The bound, proved
-----------------
Let B be the budget: min(LB + extra_slots, W) when everyone fits, else W. In both cases the
people placed, P', satisfy ceil(P' / C) <= B (when everyone fits, LB <= W; otherwise the prefix
has at most W * C people). The "fill" schedule — pour the people into slots in walking order,
cutting a unit wherever a slot is full — uses exactly ceil(P' / C) slots and calls the units in
the walking order, so it is one of the schedules searched below. The search returns a schedule
that is no worse in slots than any schedule it covers with the same number of extra parts, and
it only keeps schedules within B; since the fill schedule is within B, the search never comes
back empty, and the schedule found uses at most B <= LB + extra_slots slots.

The search, and why it finds the fewest extra parts
---------------------------------------------------
The units are taken one by one in walking order. After placing the first i units a partial
schedule is summarised by its state (s, f): s slots opened, the last one holding f people (the
empty start is (0, C): no slot open, nothing fits). For one unit of p people only these moves
are needed:
  - p <= C: whole in the current slot (if f + p <= C); whole in a new slot; or split, filling
    the current slot (C - f people) and putting the rest in a new slot (one extra part);
  - p > C: "fresh": full slots from a new slot, the remainder r = p - (ceil(p/C) - 1) C last
    (no extra part); or "fill": the current slot's C - f first, then full new slots, then the
    remainder (an extra part exactly when C - f < r).
Any other way to place the unit (a smaller first part, a part that is not full in the middle,
an empty slot) leads to a state that is worse in the order below at no lower cost.

State (s, f) dominates (s', f') when (s, f) <= (s', f') lexicographically: every continuation
from (s', f') can be matched from (s, f) at no more extra parts and ending in a state that is
again no larger (fewer slots opened, or as many with more room in the last). Checked move by
move: with s = s' and f <= f' the same move fits and more room never costs a part; with s < s'
the unit can start in a new slot, which ends at s + 1 <= s' slots with the unit whole, or at
s + ceil(p/C) with remainder r for a big unit, never more than the (s', f') move. So for each
count c of extra parts it suffices to keep the single smallest state after each unit, and to
drop a count whose state is no smaller than that of a lower count (Pareto front). At the end
the lowest count whose state has s <= B is the optimum, with the fewest slots for that count.
A state is also dropped when it cannot finish within B even if the people still to place were
poured in regardless of units (s + ceil((R - (C - f)) / C) > B for R people left): no schedule
is lost. The front holds one state per count, strictly decreasing as the count grows, none
below the fill schedule's state and none more than g = B - ceil(P' / C) + 1 slots above it
(g = extra_slots + 1 when everyone fits), so it has at most min(n, g * C) states and the search
costs O(n * min(n, g * C)) for n units. The walk below costs about O(b) lookups in a grid for
b buildings (see `_nearest_neighbour_walk`), not the O(b^2) of scanning every building.

Walking order: a nearest-neighbour walk from the point
-------------------------------------------------------
The caller (a volunteer with a loudspeaker, or the staff at the gate calling by phone group)
goes from the point to the nearest building with people to call, then always to the nearest
building not yet called, ties broken by building label. Why this order:
  - the first slot is for the building nearest the point, so the first people arrive at once;
  - consecutive slots call neighbouring buildings, so a volunteer walking the compound with a
    loudspeaker makes a short round instead of zig-zagging (sorting by distance alone sends
    them back and forth across the point between buildings at similar distances);
  - a building's units are called together, by unit number, so its residents hear one call
    after another and can judge when their turn comes.
Only buildings with someone to call are visited. A unit is a (building, unit number) pair; all
units of one building carry the building's position. The nearest building is found in a grid of
the buildings still to call, not by scanning them all, with the same result as the scan, ties
included (see `_nearest_neighbour_walk`; the tests compare the two on random compounds).

Households within a unit are not ordered here: a unit is a count of people. The caller decides
which of its households fill each part of a split unit, and in what order rooms are read out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SplitReason(StrEnum):
    OVER_CAP = "over_cap"  # the unit alone has more people than the crowd cap
    SLOT_BUDGET = "slot_budget"  # keeping it whole would need more slots than the budget


class UnplacedReason(StrEnum):
    WINDOW_TOO_SHORT = "window_too_short"


@dataclass(frozen=True)
class PickupUnit:
    """A unit (单元) of a building whose households pick up at the point."""

    building: str  # building label (or id as text); ties in the walk are broken by it
    unit: int  # unit number within the building
    x: float  # the building's position, metres
    y: float
    people: int  # people who will come down: usually one per household picking up


@dataclass(frozen=True)
class PointPickups:
    """Everything the schedule of one collection point needs."""

    x: float  # the point's position, metres
    y: float
    window_start: datetime
    window_end: datetime
    slot_length: timedelta
    cap: int  # crowd cap: most people in one slot
    units: Sequence[PickupUnit]
    extra_slots: int = 1  # slots allowed beyond ceil(people / cap)


@dataclass(frozen=True)
class Call:
    """One unit, or one part of a split unit, called down in a slot."""

    building: str
    unit: int
    people: int
    part: int  # 1-based
    parts: int  # 1 when the unit is whole


@dataclass(frozen=True)
class PickupSlot:
    index: int  # 0-based, in time order
    start: datetime
    end: datetime
    calls: tuple[Call, ...]

    @property
    def people(self) -> int:
        return sum(call.people for call in self.calls)


@dataclass(frozen=True)
class SplitUnit:
    building: str
    unit: int
    people: int
    slots: tuple[int, ...]  # indices of the consecutive slots holding its parts
    reason: SplitReason


@dataclass(frozen=True)
class UnplacedUnit:
    building: str
    unit: int
    people: int
    reason: UnplacedReason


@dataclass(frozen=True)
class Schedule:
    slots: tuple[PickupSlot, ...]
    unplaced: tuple[UnplacedUnit, ...]  # in walking order
    splits: tuple[SplitUnit, ...]  # in walking order
    not_called: tuple[tuple[str, int], ...]  # (building, unit) with nobody to call, sorted
    people: int  # everyone to call, placed or not
    lower_bound: int  # ceil(people / cap): no schedule uses fewer slots
    window_slots: int  # whole slots that fit in the window
    slot_budget: int  # most slots this schedule was allowed to use
    extra_parts: int  # parts beyond ceil(p / cap) per unit, summed; minimised
    slots_short: int  # slots to add to the window so that everyone fits; 0 when they do
    time_short: timedelta  # how much longer the window must be; zero when everyone fits

    @property
    def people_placed(self) -> int:
        return sum(slot.people for slot in self.slots)

    @property
    def people_unplaced(self) -> int:
        return sum(unit.people for unit in self.unplaced)


# Moves for one unit in the search; see the module docstring.
_WHOLE_HERE, _WHOLE_NEW, _FILL, _FRESH = range(4)


def plan_pickup_slots(pickups: PointPickups) -> Schedule:
    """Schedule the staggered pickup of one point; see the module docstring for the guarantees."""
    _check(pickups)
    cap = pickups.cap
    called = [unit for unit in pickups.units if unit.people > 0]
    walk = walking_order(pickups.x, pickups.y, called)
    people = sum(unit.people for unit in walk)
    lower_bound = -(-people // cap)
    window_slots = max(0, (pickups.window_end - pickups.window_start) // pickups.slot_length)

    if lower_bound <= window_slots:
        placed, rest = walk, []
        budget = min(lower_bound + pickups.extra_slots, window_slots)
    else:
        room, cut = window_slots * cap, 0
        while cut < len(walk) and walk[cut].people <= room:
            room -= walk[cut].people
            cut += 1
        placed, rest = walk[:cut], walk[cut:]
        budget = window_slots

    sizes = [unit.people for unit in placed]
    moves, extra_parts = _search(sizes, cap, budget)
    pieces = _pour(sizes, cap, moves)

    parts_of: dict[int, list[int]] = {}  # unit position in walk -> slot indices of its parts
    for index, slot in enumerate(pieces):
        for position, _ in slot:
            parts_of.setdefault(position, []).append(index)
    slots = []
    for index, slot in enumerate(pieces):
        calls = []
        for position, count in slot:
            unit, where = placed[position], parts_of[position]
            calls.append(Call(unit.building, unit.unit, count, where.index(index) + 1, len(where)))
        start = pickups.window_start + index * pickups.slot_length
        slots.append(PickupSlot(index, start, start + pickups.slot_length, tuple(calls)))
    splits = tuple(
        SplitUnit(
            unit.building,
            unit.unit,
            unit.people,
            tuple(parts_of[position]),
            SplitReason.OVER_CAP if unit.people > cap else SplitReason.SLOT_BUDGET,
        )
        for position, unit in enumerate(placed)
        if len(parts_of[position]) > 1
    )
    slots_short = max(0, lower_bound - window_slots)
    needed_end = pickups.window_start + lower_bound * pickups.slot_length
    return Schedule(
        slots=tuple(slots),
        unplaced=tuple(
            UnplacedUnit(unit.building, unit.unit, unit.people, UnplacedReason.WINDOW_TOO_SHORT)
            for unit in rest
        ),
        splits=splits,
        not_called=tuple(
            sorted((unit.building, unit.unit) for unit in pickups.units if unit.people == 0)
        ),
        people=people,
        lower_bound=lower_bound,
        window_slots=window_slots,
        slot_budget=budget,
        extra_parts=extra_parts,
        slots_short=slots_short,
        time_short=needed_end - pickups.window_end if slots_short else timedelta(0),
    )


def _check(pickups: PointPickups) -> None:
    if isinstance(pickups.cap, bool) or not isinstance(pickups.cap, int) or pickups.cap < 1:
        raise ValueError(f"the crowd cap must be a whole number of at least 1, not {pickups.cap!r}")
    if pickups.slot_length <= timedelta(0):
        raise ValueError(f"the slot length must be positive, not {pickups.slot_length}")
    if pickups.window_end < pickups.window_start:
        raise ValueError("the window ends before it starts")
    if pickups.extra_slots < 0:
        raise ValueError("extra_slots cannot be negative")
    if not (math.isfinite(pickups.x) and math.isfinite(pickups.y)):
        raise ValueError("the point's position must be finite")
    seen: set[tuple[str, int]] = set()
    positions: dict[str, tuple[float, float]] = {}
    for unit in pickups.units:
        key = (unit.building, unit.unit)
        if key in seen:
            raise ValueError(f"unit {unit.unit} of building {unit.building} is listed twice")
        seen.add(key)
        if isinstance(unit.people, bool) or not isinstance(unit.people, int) or unit.people < 0:
            raise ValueError(
                f"unit {unit.unit} of building {unit.building}: people must be a whole number"
                f" of at least 0, not {unit.people!r}"
            )
        if not (math.isfinite(unit.x) and math.isfinite(unit.y)):
            raise ValueError(f"building {unit.building} has no finite position")
        if positions.setdefault(unit.building, (unit.x, unit.y)) != (unit.x, unit.y):
            raise ValueError(f"building {unit.building} is given two positions")


def walking_order(x: float, y: float, units: list[PickupUnit]) -> list[PickupUnit]:
    """Units in calling order: nearest-neighbour walk over buildings from (x, y)."""
    by_building: dict[str, list[PickupUnit]] = {}
    for unit in units:
        by_building.setdefault(unit.building, []).append(unit)
    labels = sorted(by_building)  # ties go to the lower index, hence the lower label
    places = [(by_building[label][0].x, by_building[label][0].y) for label in labels]
    walk: list[PickupUnit] = []
    for index in _nearest_neighbour_walk((x, y), places):
        walk.extend(sorted(by_building[labels[index]], key=lambda unit: unit.unit))
    return walk


def _squared_distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = a[0] - b[0], a[1] - b[1]
    return dx * dx + dy * dy


# Below this many places left, a plain scan is as quick as the grid.
_SCAN_BELOW = 24


def _nearest_neighbour_walk(start: tuple[float, float], places: list[tuple[float, float]]):
    """Indices of `places` in the order of the walk from `start`: always the nearest place not
    yet visited, the lower index on a tie.

    The nearest is the least (squared distance, index), computed exactly as a scan of every
    place would, but looked up in a grid of the places still to visit: the cells are searched
    in square rings around the current place until no unsearched cell can hold a place as near
    as the best one found (a whole ring of slack absorbs rounding in the cells' bounds), so
    the result is the scan's, ties included. The grid is rebuilt over what is left each time
    half of its places have been visited, so it never gets sparse: O(n) per rebuild, and a
    lookup costs about the cells within the distance to the nearest place.
    """
    left = list(range(len(places)))
    here = start
    while left:
        if len(left) < _SCAN_BELOW or not _fits_a_grid(here, places, left):
            while left:
                nearest = min(left, key=lambda i: (_squared_distance(here, places[i]), i))
                left.remove(nearest)
                yield nearest
                here = places[nearest]
            return
        grid = _Grid(places, left)
        for _ in range(len(left) - len(left) // 2):
            nearest = grid.pop_nearest(here)
            yield nearest
            here = places[nearest]
        left = grid.left()


def _fits_a_grid(
    here: tuple[float, float], places: list[tuple[float, float]], indices: list[int]
) -> bool:
    """Whether the extent of `here` and the places is small enough that no squared distance
    overflows (over infinite or overflowing coordinates the grid would lose the exact order
    of ties at infinity; the scan keeps it)."""
    xs = [places[i][0] for i in indices] + [here[0]]
    ys = [places[i][1] for i in indices] + [here[1]]
    extent = max(xs) - min(xs) + max(ys) - min(ys)
    return math.isfinite(extent * extent * 4)


class _Grid:
    """The places of `indices` in square cells, about two to a cell, that can be popped."""

    def __init__(self, places: list[tuple[float, float]], indices: list[int]) -> None:
        self.places = places
        xs = [float(places[i][0]) for i in indices]
        ys = [float(places[i][1]) for i in indices]
        self.x0, self.y0 = min(xs), min(ys)
        width, height = max(xs) - self.x0, max(ys) - self.y0
        cells = max(1, len(indices) // 2)
        # Square cells, and never more columns or rows than cells (a thin strip of places).
        size = max(math.sqrt(width * height / cells), max(width, height) / cells)
        self.size = size if size > 0 else 1.0
        self.columns = int(width / self.size) + 1
        self.rows = int(height / self.size) + 1
        self.cells: list[list[int]] = [[] for _ in range(self.columns * self.rows)]
        self.cell_of: dict[int, int] = {}
        for i, px, py in zip(indices, xs, ys, strict=True):
            cell = self._column(px) + self.columns * self._row(py)
            self.cells[cell].append(i)
            self.cell_of[i] = cell

    def _column(self, x: float) -> int:
        return min(self.columns - 1, max(0, int((x - self.x0) / self.size)))

    def _row(self, y: float) -> int:
        return min(self.rows - 1, max(0, int((y - self.y0) / self.size)))

    def left(self) -> list[int]:
        return sorted(self.cell_of)

    def pop_nearest(self, here: tuple[float, float]) -> int:
        hx, hy = here
        places, cells, columns, rows = self.places, self.cells, self.columns, self.rows
        # The cell `here` falls in, on the grid's lattice extended beyond its edges.
        cx = math.floor((hx - self.x0) / self.size)
        cy = math.floor((hy - self.y0) / self.size)
        # The rings from the first to the last that touch the grid.
        ring = max(0, -cx, cx - columns + 1, -cy, cy - rows + 1)
        farthest = max(cx, columns - 1 - cx, cy, rows - 1 - cy)
        best = -1
        best_key = (math.inf, -1)
        while ring <= farthest:
            # A place in ring r is more than (r - 1) cells away along x or y.
            if best >= 0 and ((ring - 1) * self.size) ** 2 > best_key[0] * (1 + 1e-9):
                break
            for cell in self._ring(cx, cy, ring):
                for i in cells[cell]:
                    dx, dy = hx - places[i][0], hy - places[i][1]
                    key = (dx * dx + dy * dy, i)
                    if key < best_key:
                        best, best_key = i, key
            ring += 1
        cells[self.cell_of.pop(best)].remove(best)
        return best

    def _ring(self, cx: int, cy: int, ring: int):
        """The cells of the grid at Chebyshev distance `ring` from (cx, cy)."""
        columns, rows = self.columns, self.rows
        low_x, high_x = max(0, cx - ring), min(columns - 1, cx + ring)
        if ring == 0:
            if 0 <= cx < columns and 0 <= cy < rows:
                yield cx + columns * cy
            return
        for y in (cy - ring, cy + ring):
            if 0 <= y < rows:
                base = columns * y
                for x in range(low_x, high_x + 1):
                    yield base + x
        low_y, high_y = max(0, cy - ring + 1), min(rows - 1, cy + ring - 1)
        for x in (cx - ring, cx + ring):
            if 0 <= x < columns:
                for y in range(low_y, high_y + 1):
                    yield x + columns * y


def _search(sizes: list[int], cap: int, budget: int) -> tuple[list[int], int]:
    """The moves, one per unit, with the fewest extra parts within `budget` slots, and that count.

    front[c] = (slots opened, people in the last slot) after the units so far with c extra parts,
    the smallest such state; `back` keeps, per unit, how each kept state was reached. A state is
    dropped as soon as it cannot finish within the budget even if the people still to place were
    poured in without regard to units: that keeps the front within about extra_slots * cap states.
    The moves of the module docstring are written out inline (this loop is the hot one): for
    p <= C whole here, else whole in a new slot and fill; for p > C fresh, then fill. Of two
    equal states the first tried is kept, so the order is part of the result.
    """
    front: dict[int, tuple[int, int]] = {0: (0, cap)}
    back: list[dict[int, tuple[int, int]]] = []  # per unit: cost -> (previous cost, move)
    still_to_place = sum(sizes)
    for p in sizes:
        still_to_place -= p
        # A state (opened, fill) needs at least opened + ceil((spill + fill) / cap) slots.
        spill = still_to_place - cap
        best: dict[int, tuple[tuple[int, int], int, int]] = {}
        if p <= cap:
            for cost, (opened, fill) in front.items():
                room = cap - fill
                if p <= room:
                    # _WHOLE_HERE: a smaller state than _WHOLE_NEW's and never needing more
                    # slots (fill <= cap), so _WHOLE_NEW cannot win here and is not tried.
                    over = spill + fill + p
                    if opened + (-(-over // cap) if over > 0 else 0) <= budget:
                        state = (opened, fill + p)
                        kept = best.get(cost)
                        if kept is None or state < kept[0]:
                            best[cost] = (state, cost, _WHOLE_HERE)
                    continue
                over = spill + p
                if opened + 1 + (-(-over // cap) if over > 0 else 0) <= budget:  # _WHOLE_NEW
                    state = (opened + 1, p)
                    kept = best.get(cost)
                    if kept is None or state < kept[0]:
                        best[cost] = (state, cost, _WHOLE_NEW)
                if room > 0:  # _FILL
                    over -= room
                    if opened + 1 + (-(-over // cap) if over > 0 else 0) <= budget:
                        state = (opened + 1, p - room)
                        kept = best.get(cost + 1)
                        if kept is None or state < kept[0]:
                            best[cost + 1] = (state, cost, _FILL)
        else:
            parts = -(-p // cap)
            last = p - (parts - 1) * cap
            over_fresh = spill + last
            need_fresh = parts + (-(-over_fresh // cap) if over_fresh > 0 else 0)
            for cost, (opened, fill) in front.items():
                if opened + need_fresh <= budget:  # _FRESH
                    state = (opened + parts, last)
                    kept = best.get(cost)
                    if kept is None or state < kept[0]:
                        best[cost] = (state, cost, _FRESH)
                room = cap - fill
                if room > 0:  # _FILL
                    rest = p - room
                    more = -(-rest // cap)
                    tail = rest - (more - 1) * cap
                    over = spill + tail
                    if opened + more + (-(-over // cap) if over > 0 else 0) <= budget:
                        state = (opened + more, tail)
                        new_cost = cost + 1 + more - parts
                        kept = best.get(new_cost)
                        if kept is None or state < kept[0]:
                            best[new_cost] = (state, cost, _FILL)
        front, steps, smallest = {}, {}, None
        for cost in sorted(best):  # keep only counts whose state beats every cheaper one
            state, previous, move = best[cost]
            if smallest is None or state < smallest:
                front[cost], steps[cost], smallest = state, (previous, move), state
        back.append(steps)
    if not front:
        raise AssertionError("no schedule within the budget; the caller chose too many units")
    cost = min(front)
    moves = []
    for steps in reversed(back):
        cost_before, move = steps[cost]
        moves.append(move)
        cost = cost_before
    moves.reverse()
    return moves, min(front)


def _pour(sizes: list[int], cap: int, moves: list[int]) -> list[list[tuple[int, int]]]:
    """Replay the moves: slots as lists of (unit position, people)."""
    slots: list[list[tuple[int, int]]] = []
    fill = cap
    for position, (p, move) in enumerate(zip(sizes, moves, strict=True)):
        rest = p
        if move == _WHOLE_HERE:
            slots[-1].append((position, p))
            fill += p
            continue
        if move == _FILL:
            slots[-1].append((position, cap - fill))
            rest -= cap - fill
        while rest > 0:  # _WHOLE_NEW, _FRESH and the rest of _FILL: full slots, remainder last
            count = min(cap, rest)
            slots.append([(position, count)])
            fill, rest = count, rest - count
    return slots
