"""The staggered-pickup schedule (deliveries/slots.py): pure, no database.

Property tests draw random points (0..60 units of 0..30 people, caps 1..40, windows long
enough or too short) and check what the module docstring promises; a brute-force search over
every way to cut the people line into slots checks that no schedule splits fewer units."""

import itertools
import math
import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveries.slots import (
    PickupUnit,
    PointPickups,
    Schedule,
    SplitReason,
    UnplacedReason,
    plan_pickup_slots,
    walking_order,
)

START = datetime(2022, 4, 10, 8, 0)
TEN_MINUTES = timedelta(minutes=10)


@st.composite
def point_pickups(draw, max_units=60, max_people=30, max_cap=40, max_buildings=15):
    buildings = draw(st.integers(1, max_buildings))
    position = st.tuples(st.integers(-300, 300), st.integers(-300, 300))
    positions = draw(st.lists(position, min_size=buildings, max_size=buildings))
    keys = draw(
        st.lists(
            st.tuples(st.integers(0, buildings - 1), st.integers(1, 8)),
            max_size=max_units,
            unique=True,
        )
    )
    people = draw(st.lists(st.integers(0, max_people), min_size=len(keys), max_size=len(keys)))
    units = [
        PickupUnit(f"B{b:02d}", unit, *positions[b], count)
        for (b, unit), count in zip(keys, people, strict=True)
    ]
    cap = draw(st.integers(1, max_cap))
    lower_bound = -(-sum(people) // cap)
    if draw(st.booleans()):  # a window long enough, or longer
        window_slots = lower_bound + draw(st.integers(0, 5))
    else:  # a window too short, or just enough
        window_slots = draw(st.integers(0, lower_bound))
    slot_length = timedelta(minutes=draw(st.integers(1, 30)))
    spare = draw(st.integers(0, slot_length // timedelta(minutes=1) - 1))  # a partial slot
    x, y = draw(position)
    return PointPickups(
        x=x,
        y=y,
        window_start=START,
        window_end=START + window_slots * slot_length + timedelta(minutes=spare),
        slot_length=slot_length,
        cap=cap,
        units=units,
        extra_slots=draw(st.sampled_from([1, 1, 1, 0, 2])),
    )


def adversarial_pickups():
    """Every unit has cap/2 + 1 people or so: the bin-packing worst case for whole units."""
    return st.builds(
        lambda cap, count, wiggle, extra: PointPickups(
            x=0,
            y=0,
            window_start=START,
            window_end=START + timedelta(days=2),
            slot_length=TEN_MINUTES,
            cap=cap,
            units=[
                PickupUnit(f"B{i:02d}", 1, 10 * i, 0, min(cap, cap // 2 + 1 + w))
                for i, w in enumerate(wiggle[:count])
            ],
            extra_slots=extra,
        ),
        cap=st.integers(2, 12),
        count=st.integers(0, 12),
        wiggle=st.lists(st.integers(0, 1), min_size=12, max_size=12),
        extra=st.integers(0, 3),
    )


PROPERTY = settings(max_examples=150, deadline=None)


def calls_by_unit(schedule: Schedule) -> dict[tuple[str, int], list[tuple[int, int, int, int]]]:
    """(building, unit) -> [(slot index, people, part, parts)] in slot order."""
    calls: dict[tuple[str, int], list[tuple[int, int, int, int]]] = {}
    for slot in schedule.slots:
        for call in slot.calls:
            calls.setdefault((call.building, call.unit), []).append(
                (slot.index, call.people, call.part, call.parts)
            )
    return calls


def placed_in_order(schedule: Schedule) -> list[tuple[str, int]]:
    """Placed units in the order they are first called."""
    return list(dict.fromkeys((c.building, c.unit) for s in schedule.slots for c in s.calls))


def fewest_cuts(sizes: list[int], cap: int, budget: int) -> tuple[int, int] | None:
    """Reference: (cuts inside units, slots), smallest in that order, over every way to cut the
    people line (units in the given order) into at most `budget` slots of at most `cap` people.
    Tries every slot end at every person; knows nothing of the module's moves or states."""
    total = sum(sizes)
    if total == 0:
        return (0, 0)
    unit_ends = set(itertools.accumulate(sizes))
    best = [0] + [math.inf] * total  # zero slots cover exactly zero people
    found = []
    for slots in range(1, budget + 1):
        best = [math.inf] + [
            min(best[max(0, end - cap) : end]) + (0 if end in unit_ends else 1)
            for end in range(1, total + 1)
        ]
        if best[total] < math.inf:
            found.append((best[total], slots))
    return min(found) if found else None


def squared_distance(a, b):
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


# Properties on random points


@PROPERTY
@given(point_pickups())
def test_it_conserves_people_every_unit_placed_or_reported(pickups):
    schedule = plan_pickup_slots(pickups)
    calls = calls_by_unit(schedule)
    unplaced = {(u.building, u.unit): u for u in schedule.unplaced}
    for unit in pickups.units:
        key = (unit.building, unit.unit)
        if unit.people == 0:
            assert key not in calls and key not in unplaced and key in schedule.not_called
        elif key in calls:
            assert key not in unplaced
            assert sum(people for _, people, _, _ in calls[key]) == unit.people
        else:
            assert unplaced[key].people == unit.people
            assert unplaced[key].reason == UnplacedReason.WINDOW_TOO_SHORT
    assert len(calls) + len(unplaced) + len(schedule.not_called) == len(pickups.units)
    total = sum(u.people for u in pickups.units)
    assert schedule.people == total == schedule.people_placed + schedule.people_unplaced


@PROPERTY
@given(point_pickups())
def test_it_never_calls_more_than_the_cap_nor_an_empty_slot(pickups):
    schedule = plan_pickup_slots(pickups)
    for slot in schedule.slots:
        assert 0 < slot.people <= pickups.cap
        assert all(call.people > 0 for call in slot.calls)


@PROPERTY
@given(point_pickups())
def test_its_slots_follow_each_other_inside_the_window(pickups):
    schedule = plan_pickup_slots(pickups)
    assert schedule.window_slots == (pickups.window_end - START) // pickups.slot_length
    for index, slot in enumerate(schedule.slots):
        assert slot.index == index
        assert slot.start == START + index * pickups.slot_length
        assert slot.end - slot.start == pickups.slot_length
        assert slot.end <= pickups.window_end


@PROPERTY
@given(point_pickups())
def test_it_splits_a_unit_only_into_consecutive_slots_and_reports_it(pickups):
    schedule = plan_pickup_slots(pickups)
    cap = pickups.cap
    people = {(u.building, u.unit): u.people for u in pickups.units}
    splits = {(s.building, s.unit): s for s in schedule.splits}
    extra_parts = 0
    for key, calls in calls_by_unit(schedule).items():
        slots = [index for index, _, _, _ in calls]
        assert slots == list(range(slots[0], slots[0] + len(calls)))  # one slot after another
        assert [(part, parts) for _, _, part, parts in calls] == [
            (n, len(calls)) for n in range(1, len(calls) + 1)
        ]
        needed = -(-people[key] // cap)
        if people[key] <= cap:
            assert len(calls) <= 2
        else:
            assert len(calls) in (needed, needed + 1)
        extra_parts += len(calls) - needed
        if len(calls) == 1:
            assert key not in splits
        else:
            split = splits.pop(key)
            assert split.slots == tuple(slots) and split.people == people[key]
            over = people[key] > cap
            assert split.reason == (SplitReason.OVER_CAP if over else SplitReason.SLOT_BUDGET)
    assert not splits  # nothing reported that is not split
    assert schedule.extra_parts == extra_parts


@PROPERTY
@given(point_pickups())
def test_it_uses_at_most_one_slot_more_than_the_lower_bound(pickups):
    schedule = plan_pickup_slots(pickups)
    cap, window_slots = pickups.cap, schedule.window_slots
    lower_bound = -(-sum(u.people for u in pickups.units) // cap)
    assert schedule.lower_bound == lower_bound
    assert len(schedule.slots) <= window_slots
    if lower_bound <= window_slots:
        assert not schedule.unplaced
        assert schedule.slot_budget == min(lower_bound + pickups.extra_slots, window_slots)
        assert lower_bound <= len(schedule.slots) <= schedule.slot_budget
        assert (schedule.slots_short, schedule.time_short) == (0, timedelta(0))
    else:
        assert schedule.unplaced
        assert schedule.slot_budget == window_slots
        # the first unit left out really did not fit after everyone before it
        assert schedule.people_placed + schedule.unplaced[0].people > window_slots * cap
        assert schedule.slots_short == lower_bound - window_slots
        needed_end = START + lower_bound * pickups.slot_length
        assert schedule.time_short == needed_end - pickups.window_end > timedelta(0)


@PROPERTY
@given(point_pickups())
def test_it_keeps_units_whole_when_whole_units_fit_the_budget(pickups):
    schedule = plan_pickup_slots(pickups)
    order = placed_in_order(schedule)
    people = {(u.building, u.unit): u.people for u in pickups.units}
    # next fit with whole units (a big unit from a fresh slot): one schedule with no extra part
    slots, fill = 0, pickups.cap
    for key in order:
        if people[key] > pickups.cap:
            slots += -(-people[key] // pickups.cap)
            fill = people[key] - (-(-people[key] // pickups.cap) - 1) * pickups.cap
        elif fill + people[key] <= pickups.cap:
            fill += people[key]
        else:
            slots, fill = slots + 1, people[key]
    if slots <= schedule.slot_budget:
        assert schedule.extra_parts == 0
        assert all(s.reason == SplitReason.OVER_CAP for s in schedule.splits)


@PROPERTY
@given(point_pickups())
def test_a_spare_slot_per_unit_keeps_every_unit_in_as_few_parts_as_it_needs(pickups):
    units = len(pickups.units)
    slots = sum(u.people for u in pickups.units) + units  # more than ever needed
    window_end = START + slots * pickups.slot_length
    roomy = PointPickups(**{**pickups.__dict__, "window_end": window_end, "extra_slots": units})
    schedule = plan_pickup_slots(roomy)
    assert schedule.extra_parts == 0 and schedule.unplaced == ()
    assert all(split.reason == SplitReason.OVER_CAP for split in schedule.splits)


@PROPERTY
@given(point_pickups())
def test_it_calls_buildings_in_a_nearest_neighbour_walk_from_the_point(pickups):
    schedule = plan_pickup_slots(pickups)
    walk = placed_in_order(schedule) + [(u.building, u.unit) for u in schedule.unplaced]
    buildings = [label for label, _ in itertools.groupby(building for building, _ in walk)]
    assert len(buildings) == len(set(buildings)), "a building's units are not together"
    for label in buildings:  # by unit number within a building
        units = [unit for building, unit in walk if building == label]
        assert units == sorted(units)
    position = {u.building: (u.x, u.y) for u in pickups.units}
    to_call = sorted({u.building for u in pickups.units if u.people > 0})
    assert sorted(buildings) == to_call
    here = (pickups.x, pickups.y)
    for label in buildings:
        assert label == min(to_call, key=lambda b: (squared_distance(here, position[b]), b))
        to_call.remove(label)
        here = position[label]


def scanned_walk(x, y, units):
    """The walk as it was first written: scan every building left at every step, O(n²)."""
    by_building = {}
    for unit in units:
        by_building.setdefault(unit.building, []).append(unit)
    position = {label: (group[0].x, group[0].y) for label, group in by_building.items()}
    remaining = sorted(by_building)
    walk = []
    here = (x, y)

    def key(label):
        dx, dy = here[0] - position[label][0], here[1] - position[label][1]
        return (dx * dx + dy * dy, label)  # inf past 1e154, where ** 2 would raise

    while remaining:
        label = min(remaining, key=key)
        remaining.remove(label)
        walk.extend(sorted(by_building[label], key=lambda unit: unit.unit))
        here = position[label]
    return walk


# Layouts that make ties and uneven grids: a small lattice (many equal distances), a spread,
# a line, a tight cluster with outliers, one spot for everyone, huge coordinates.
layouts = st.sampled_from(["lattice", "spread", "line", "cluster", "one spot", "huge"])


@st.composite
def compounds_to_walk(draw):
    layout = draw(layouts)
    count = draw(st.integers(0, 300))
    if layout == "lattice":
        place = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(lambda p: (p[0] * 7.5, p[1]))
    elif layout == "spread":
        place = st.tuples(st.floats(-5000, 5000), st.floats(-5000, 5000))
    elif layout == "line":
        place = st.tuples(st.integers(-400, 400), st.just(3))
    elif layout == "cluster":
        place = st.one_of(
            st.tuples(st.floats(0, 1), st.floats(0, 1)),
            st.tuples(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6)),
        )
    elif layout == "one spot":
        place = st.just((4.0, -2.0))
    else:
        place = st.tuples(st.floats(-1e300, 1e300), st.floats(-1e300, 1e300))
    places = draw(st.lists(place, min_size=count, max_size=count))
    labels = draw(st.permutations([f"{n}号楼" for n in range(count)]))
    units = [
        PickupUnit(label, unit, x, y, 1)
        for label, (x, y) in zip(labels, places, strict=True)
        for unit in range(1, draw(st.integers(1, 3)) + 1)
    ]
    start = draw(st.one_of(place, st.tuples(st.integers(-9000, 9000), st.integers(-9000, 9000))))
    return start, draw(st.permutations(units))


@settings(max_examples=300, deadline=None)
@given(compounds_to_walk())
def test_the_walk_through_a_grid_is_the_walk_that_scans_every_building(compound):
    (x, y), units = compound
    assert walking_order(x, y, units) == scanned_walk(x, y, units)


def test_the_walk_through_a_grid_matches_the_scan_on_a_large_compound():
    rng = random.Random(11)
    units = [
        PickupUnit(f"{n}号楼", unit, rng.uniform(0, 3800), rng.uniform(0, 3800), 1)
        for n in range(2000)
        for unit in (1, 2)
    ]
    assert walking_order(1900, -20, units) == scanned_walk(1900, -20, units)


@settings(max_examples=300, deadline=None)
@given(point_pickups(max_units=10, max_people=12, max_cap=12, max_buildings=6))
def test_no_schedule_splits_fewer_units_within_the_budget(pickups):
    schedule = plan_pickup_slots(pickups)
    calls = calls_by_unit(schedule)
    sizes = [sum(people for _, people, _, _ in calls[key]) for key in placed_in_order(schedule)]
    cuts = sum(len(parts) - 1 for parts in calls.values())
    assert (cuts, len(schedule.slots)) == fewest_cuts(sizes, pickups.cap, schedule.slot_budget)


@settings(max_examples=200, deadline=None)
@given(adversarial_pickups())
def test_no_schedule_splits_fewer_units_of_just_over_half_the_cap(pickups):
    schedule = plan_pickup_slots(pickups)
    sizes = [u.people for u in pickups.units]  # in a line from the point: walking order
    cuts = sum(len(parts) - 1 for parts in calls_by_unit(schedule).values())
    assert (cuts, len(schedule.slots)) == fewest_cuts(sizes, pickups.cap, schedule.slot_budget)
    assert len(schedule.slots) <= schedule.lower_bound + pickups.extra_slots


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_it_gives_the_same_schedule_whatever_the_order_of_the_units(data):
    pickups = data.draw(point_pickups())
    shuffled = data.draw(st.permutations(pickups.units))
    again = PointPickups(**{**pickups.__dict__, "units": shuffled})
    assert plan_pickup_slots(pickups) == plan_pickup_slots(again)


# Hand-made cases


def pickups_of(units, *, cap, slots=60, extra_slots=1, minutes=None):
    window = timedelta(minutes=minutes) if minutes is not None else slots * TEN_MINUTES
    return PointPickups(0, 0, START, START + window, TEN_MINUTES, cap, units, extra_slots)


def in_a_line(*people):
    """Buildings B00, B01, … 10 m apart going east from the point, one unit each."""
    return [PickupUnit(f"B{i:02d}", 1, 10 * (i + 1), 0, count) for i, count in enumerate(people)]


def slot_people(schedule):
    return [slot.people for slot in schedule.slots]


def test_it_splits_a_unit_bigger_than_the_cap_over_consecutive_slots():
    schedule = plan_pickup_slots(pickups_of(in_a_line(45), cap=20))
    assert slot_people(schedule) == [20, 20, 5]
    assert [(s.slots, s.reason) for s in schedule.splits] == [((0, 1, 2), SplitReason.OVER_CAP)]
    assert schedule.extra_parts == 0


def test_it_lets_a_big_unit_start_in_the_slot_of_the_unit_before_it():
    # 5 + 15 | 20 | 10: three parts, as many as 45 people need anyway
    schedule = plan_pickup_slots(pickups_of(in_a_line(5, 45), cap=20))
    assert slot_people(schedule) == [20, 20, 10]
    assert schedule.splits[0].slots == (0, 1, 2)
    assert schedule.extra_parts == 0


def test_it_starts_a_big_unit_afresh_rather_than_cut_it_into_one_more_part():
    # 15 + 5 | 20 | 15 would cut 40 people into three parts; 15 | 20 | 20 keeps two
    schedule = plan_pickup_slots(pickups_of(in_a_line(15, 40), cap=20))
    assert slot_people(schedule) == [15, 20, 20]
    assert schedule.splits[0].slots == (1, 2)
    assert schedule.extra_parts == 0


def test_it_gives_each_unit_of_exactly_the_cap_a_slot_of_its_own():
    schedule = plan_pickup_slots(pickups_of(in_a_line(20, 20, 20, 20, 20), cap=20))
    assert slot_people(schedule) == [20] * 5
    assert schedule.lower_bound == 5
    assert [len(slot.calls) for slot in schedule.slots] == [1] * 5
    assert schedule.splits == ()


def test_units_just_over_half_the_cap_are_split_as_few_as_the_bound_allows():
    # Ten units of 6 with cap 10: no two fit in a slot, so whole units need 10 slots, while
    # ceil(60 / 10) = 6. A slot holds at most one whole unit, so k slots keep at most k whole.
    units = in_a_line(*[6] * 10)
    schedule = plan_pickup_slots(pickups_of(units, cap=10))
    assert (schedule.lower_bound, schedule.slot_budget, len(schedule.slots)) == (6, 7, 7)
    assert len(schedule.splits) == 3 == schedule.extra_parts  # 10 units - 7 whole at most
    assert {s.reason for s in schedule.splits} == {SplitReason.SLOT_BUDGET}
    assert all(len(s.slots) == 2 for s in schedule.splits)

    tight = plan_pickup_slots(pickups_of(units, cap=10, extra_slots=0))
    assert (len(tight.slots), len(tight.splits)) == (6, 4)

    roomy = plan_pickup_slots(pickups_of(units, cap=10, extra_slots=4))
    assert (len(roomy.slots), roomy.splits) == (10, ())

    short = plan_pickup_slots(pickups_of(units, cap=10, slots=6))  # enough, but no spare slot
    assert (len(short.slots), len(short.splits), short.unplaced) == (6, 4, ())


def test_it_does_not_call_units_with_nobody_to_pick_up():
    units = [
        PickupUnit("A", 1, 1, 0, 0),  # the nearest building, but nobody comes down
        PickupUnit("B", 1, 50, 0, 3),
        PickupUnit("B", 2, 50, 0, 0),
    ]
    schedule = plan_pickup_slots(pickups_of(units, cap=10))
    assert [(c.building, c.unit, c.people) for c in schedule.slots[0].calls] == [("B", 1, 3)]
    assert len(schedule.slots) == 1
    assert schedule.not_called == (("A", 1), ("B", 2))
    assert schedule.unplaced == ()


def test_it_says_which_units_do_not_fit_a_short_window_and_how_much_longer_it_must_be():
    # 24 people, cap 10: three slots needed; 25 minutes hold two whole 10-minute slots
    schedule = plan_pickup_slots(pickups_of(in_a_line(6, 6, 6, 6), cap=10, minutes=25))
    assert slot_people(schedule) == [10, 8]
    assert [(u.building, u.people, u.reason) for u in schedule.unplaced] == [
        ("B03", 6, UnplacedReason.WINDOW_TOO_SHORT)
    ]
    assert (schedule.slots_short, schedule.time_short) == (1, timedelta(minutes=5))
    assert [s.building for s in schedule.splits] == ["B01"]


def test_it_stops_the_walk_at_the_first_unit_that_does_not_fit():
    # after 8 people, the 15 of B01 do not fit in 10; B02's 2 would, but come after B01
    schedule = plan_pickup_slots(pickups_of(in_a_line(8, 15, 2), cap=10, slots=1))
    assert slot_people(schedule) == [8]
    assert [u.building for u in schedule.unplaced] == ["B01", "B02"]
    assert schedule.slots_short == 2


def test_a_short_window_takes_units_up_to_its_last_place():
    schedule = plan_pickup_slots(pickups_of(in_a_line(6, 4, 5), cap=10, slots=1))
    assert slot_people(schedule) == [10]
    assert [u.building for u in schedule.unplaced] == ["B02"]


def test_a_window_shorter_than_one_slot_places_nobody():
    schedule = plan_pickup_slots(pickups_of(in_a_line(3, 4), cap=10, minutes=9))
    assert schedule.slots == () and schedule.window_slots == 0
    assert [u.people for u in schedule.unplaced] == [3, 4]
    assert (schedule.slots_short, schedule.time_short) == (1, timedelta(minutes=1))


def test_an_empty_point_gets_an_empty_schedule():
    schedule = plan_pickup_slots(pickups_of([], cap=10))
    assert (schedule.slots, schedule.unplaced, schedule.splits) == ((), (), ())
    assert (schedule.people, schedule.lower_bound, schedule.slots_short) == (0, 0, 0)


def test_it_walks_to_the_next_nearest_building_not_back_across_the_point():
    units = [
        PickupUnit("A", 1, 10, 0, 4),
        PickupUnit("B", 1, -12, 0, 4),  # second nearest the point, but across it
        PickupUnit("C", 3, 20, 0, 4),
        PickupUnit("C", 1, 20, 0, 4),
    ]
    schedule = plan_pickup_slots(pickups_of(units, cap=4))
    calls = [(c.building, c.unit) for slot in schedule.slots for c in slot.calls]
    assert calls == [("A", 1), ("C", 1), ("C", 3), ("B", 1)]


def test_it_breaks_ties_in_the_walk_by_building_label():
    units = [PickupUnit(label, 1, x, 0, 1) for label, x in [("Z", 10), ("M", -10), ("A", 0)]]
    schedule = plan_pickup_slots(
        PointPickups(0, 5, START, START + TEN_MINUTES * 9, TEN_MINUTES, 1, units)
    )
    assert [slot.calls[0].building for slot in schedule.slots] == ["A", "M", "Z"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cap": 0}, "crowd cap"),
        ({"slot_length": timedelta(0)}, "slot length"),
        ({"window_end": START - TEN_MINUTES}, "ends before"),
        ({"extra_slots": -1}, "extra_slots"),
        ({"units": [PickupUnit("A", 1, 0, 0, -1)]}, "people"),
        ({"units": [PickupUnit("A", 1, 0, 0, 1), PickupUnit("A", 1, 0, 0, 2)]}, "twice"),
        ({"units": [PickupUnit("A", 1, 0, 0, 1), PickupUnit("A", 2, 5, 0, 2)]}, "two positions"),
        ({"units": [PickupUnit("A", 1, math.nan, 0, 1)]}, "position"),
    ],
)
def test_it_refuses_bad_input(change, message):
    fields = {**pickups_of(in_a_line(1), cap=10).__dict__, **change}
    with pytest.raises(ValueError, match=message):
        plan_pickup_slots(PointPickups(**fields))
