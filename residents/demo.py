"""Demo data: a street, two committees, realistic compounds and one login per role.

Idempotent: what exists is kept, so `seed_demo` can run at every start."""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.history import CREATED, history_snapshot
from core.phones import phone_normalise
from residents.models import (
    Building,
    ClosureLevel,
    Committee,
    Compound,
    Household,
    Need,
    Resident,
    ResidentNeed,
    Role,
    Sex,
    Street,
)
from residents.services import buildings_set_closure, membership_grant

DEMO_PASSWORD = "lockdown-2022"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
)
# Given names by generation, as the committees' registers show them.
GIVEN_OLD = {
    Sex.FEMALE: (
        "秀英",
        "桂英",
        "秀兰",
        "玉兰",
        "桂兰",
        "凤英",
        "淑珍",
        "玉珍",
        "素珍",
        "秀珍",
        "兰英",
        "翠花",
    ),
    Sex.MALE: (
        "建国",
        "国强",
        "德明",
        "志华",
        "永福",
        "国华",
        "建华",
        "福生",
        "金根",
        "阿毛",
        "长林",
        "德胜",
    ),
}
GIVEN_MIDDLE = {
    Sex.FEMALE: ("丽", "静", "敏", "燕", "艳", "红梅", "丽娟", "海燕", "晓红", "雪梅", "慧", "琳"),
    Sex.MALE: ("伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "海波", "建军", "志强", "晓东"),
}
GIVEN_YOUNG = {
    Sex.FEMALE: ("子涵", "欣怡", "梓涵", "诗涵", "一诺", "雨桐", "可馨", "思琪", "佳怡", "若汐"),
    Sex.MALE: ("浩然", "子轩", "宇轩", "俊杰", "梓豪", "一鸣", "皓轩", "睿", "博文", "天佑"),
}
HOUSEHOLD_SIZES = ((1, 0.20), (2, 0.35), (3, 0.25), (4, 0.12), (5, 0.08))


@dataclass(frozen=True)
class CompoundPlan:
    name: str
    committee: str
    buildings: int
    households: int | None = None
    residents: int | None = None


STREET = "长乐街道"
COMMITTEES = ("胜利居委会", "香樟居委会")
DEFAULT_COMPOUNDS = (
    CompoundPlan("胜利花园", "胜利居委会", buildings=12, households=800),
    CompoundPlan("香樟苑", "香樟居委会", buildings=4, households=160),
)
LARGE_COMPOUND = CompoundPlan("富裕新城", "胜利居委会", buildings=286, residents=40_000)


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    scope: str


def _age_to_birth(rng: random.Random, age: int, today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=age * 365 + rng.randrange(365))


def _draw_age(rng: random.Random, *, adult: bool) -> int:
    if rng.random() < 0.38:  # about 38% of residents are over 60
        band = rng.choices(((60, 69), (70, 79), (80, 96)), weights=(0.5, 0.3, 0.2))[0]
        return rng.randint(*band)
    return rng.randint(18, 59) if adult or rng.random() < 0.7 else rng.randint(0, 17)


def _given_name(rng: random.Random, sex: str, age: int) -> str:
    names = GIVEN_OLD if age >= 60 else GIVEN_MIDDLE if age >= 25 else GIVEN_YOUNG
    return rng.choice(names[sex])


def _needs(rng: random.Random, *, age: int, sex: str, alone: bool) -> list[str]:
    needs = []
    if age >= 80:
        needs.append(Need.AGED_80_PLUS)
    if alone and age >= 70 and rng.random() < 0.6:
        needs.append(Need.ELDERLY_ALONE)
    if age >= 60 and rng.random() < 0.4:
        needs.append(Need.CHRONIC_MEDICATION)
    if rng.random() < 0.02:
        needs.append(Need.DISABLED)
    if age >= 40 and rng.random() < 0.004:
        needs.append(Need.DIALYSIS)
    if age >= 40 and rng.random() < 0.004:
        needs.append(Need.CHEMOTHERAPY)
    if sex == Sex.FEMALE and 22 <= age <= 40 and rng.random() < 0.03:
        needs.append(Need.PREGNANT)
    if age <= 1:
        needs.append(Need.INFANT)
    if rng.random() < 0.005:
        needs.append(Need.FOREIGN_LANGUAGE)
    return needs


def _phone(rng: random.Random) -> str:
    """A mobile number that exists (not every 11 digits do: 179… and 154… are no one's), as
    the product stores it (E.164)."""
    while True:
        number = phone_normalise(f"1{rng.choice('3578')}{rng.randrange(10**9):09d}")
        if number.startswith("+"):
            return number


def _build_compound(compound: Compound, plan: CompoundPlan, *, by: User) -> None:
    """Buildings on a grid plan, households in their rooms, residents with ages and needs."""
    rng = random.Random(plan.name)
    today = timezone.localdate()
    columns = max(1, round(plan.buildings**0.5))
    buildings = Building.objects.bulk_create(
        Building(
            compound=compound,
            label=str(number),
            units=rng.randint(2, 3),
            floors=rng.randint(6, 18),
            position_x=float((number - 1) % columns * 40),
            position_y=float((number - 1) // columns * 30),
        )
        for number in range(1, plan.buildings + 1)
    )
    wanted = plan.households or round((plan.residents or 0) / 2.4)
    rooms_per_floor = 2
    while True:  # enough flats for the households, with about a tenth empty
        flats = [
            (building, unit, f"{floor}{room:02d}")
            for building in buildings
            for unit in range(1, building.units + 1)
            for floor in range(1, building.floors + 1)
            for room in range(1, rooms_per_floor + 1)
        ]
        if len(flats) >= wanted * 1.1:
            break
        rooms_per_floor += 1
    rng.shuffle(flats)
    sizes = [size for size, _weight in HOUSEHOLD_SIZES]
    weights = [weight for _size, weight in HOUSEHOLD_SIZES]
    households, members = [], []
    people = 0
    for building, unit, room in flats:
        if plan.households is not None and len(households) >= plan.households:
            break
        if plan.residents is not None and people >= plan.residents:
            break
        size = rng.choices(sizes, weights)[0]
        households.append(
            Household(
                building=building,
                unit=unit,
                room=room,
                contact_phone=_phone(rng),
                created_by=by,
                updated_by=by,
            )
        )
        members.append(size)
        people += size
    Household.objects.bulk_create(households, batch_size=2000)
    history_snapshot(Household, [household.pk for household in households], kind=CREATED, by=by)

    residents, needs_of = [], []
    for household, size in zip(households, members, strict=True):
        surname = rng.choice(SURNAMES)
        for index in range(size):
            age = _draw_age(rng, adult=index == 0)
            sex = rng.choice((Sex.FEMALE, Sex.MALE))
            resident = Resident(
                household=household,
                name=(surname if index < 2 or rng.random() < 0.8 else rng.choice(SURNAMES))
                + _given_name(rng, sex, age),
                phone=_phone(rng) if 12 <= age <= 85 else "",
                birth_date=_age_to_birth(rng, age, today),
                sex=sex,
                care_level=rng.randint(2, 6) if age >= 80 else 0,
                created_by=by,
                updated_by=by,
            )
            residents.append(resident)
            needs_of.append(_needs(rng, age=age, sex=sex, alone=size == 1))
    Resident.objects.bulk_create(residents, batch_size=2000)
    history_snapshot(Resident, [resident.pk for resident in residents], kind=CREATED, by=by)
    tags = ResidentNeed.objects.bulk_create(
        (
            ResidentNeed(resident=resident, need=need)
            for resident, needs in zip(residents, needs_of, strict=True)
            for need in needs
        ),
        batch_size=5000,
    )
    history_snapshot(ResidentNeed, [tag.pk for tag in tags], kind=CREATED, by=by)

    # All three levels, each reached through a logged change as staff would make it.
    order = list(buildings)
    rng.shuffle(order)
    sealed, controlled = max(1, len(order) // 6), max(1, len(order) // 3)
    buildings_set_closure(
        buildings=order[:sealed],
        level=ClosureLevel.SEALED,
        reason="阳性病例所在楼栋，封控管理",
        by=by,
    )
    buildings_set_closure(
        buildings=order[sealed : sealed + controlled],
        level=ClosureLevel.CONTROLLED,
        reason="密接人员所在楼栋，管控管理",
        by=by,
    )


def _user(username: str, *, first_name: str, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "is_superuser": superuser}
    )
    if created:
        user.is_staff = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def demo_seed(*, scale: str = "default") -> list[Login]:
    """Create what is missing of the demo; return one login per role."""
    street, _created = Street.objects.get_or_create(name=STREET)
    committees = {
        name: Committee.objects.get_or_create(street=street, name=name)[0] for name in COMMITTEES
    }
    admin = _user("admin", first_name="管理员", superuser=True)
    street_staff = _user("street", first_name="街道 周")
    staff = _user("staff", first_name="居委 李")
    staff_other = _user("staff2", first_name="居委 陈")
    volunteer = _user("volunteer", first_name="志愿者 王")
    leader = _user("leader", first_name="团长 赵")
    resident_user = _user("resident", first_name="居民 张")
    first, second = committees[COMMITTEES[0]], committees[COMMITTEES[1]]
    membership_grant(user=street_staff, role=Role.STREET_STAFF, street=street)
    membership_grant(user=staff, role=Role.COMMITTEE_STAFF, committee=first)
    membership_grant(user=staff_other, role=Role.COMMITTEE_STAFF, committee=second)
    membership_grant(user=volunteer, role=Role.VOLUNTEER, committee=first)
    membership_grant(user=leader, role=Role.GROUP_LEADER, committee=first)

    plans = DEFAULT_COMPOUNDS + ((LARGE_COMPOUND,) if scale == "large" else ())
    for plan in plans:
        compound, _created = Compound.objects.get_or_create(
            committee=committees[plan.committee], name=plan.name
        )
        if not compound.buildings.exists():
            _build_compound(compound, plan, by=staff)

    home = Household.objects.filter(account=resident_user).first()
    if home is None:
        home = (
            Household.objects.filter(
                building__compound__name=DEFAULT_COMPOUNDS[0].name, account__isnull=True
            )
            .order_by("pk")
            .first()
        )
        home.account = resident_user
        home.save(update_fields=["account"])
    return [
        Login("superuser", admin.username, DEMO_PASSWORD, "everything"),
        Login("street staff", street_staff.username, DEMO_PASSWORD, street.name),
        Login("committee staff", staff.username, DEMO_PASSWORD, first.name),
        Login("committee staff", staff_other.username, DEMO_PASSWORD, second.name),
        Login("volunteer", volunteer.username, DEMO_PASSWORD, first.name),
        Login("group leader", leader.username, DEMO_PASSWORD, first.name),
        Login("resident", resident_user.username, DEMO_PASSWORD, str(home)),
    ]
