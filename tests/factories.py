import datetime

import factory
from django.contrib.auth.models import User

from residents.models import (
    Building,
    Committee,
    Compound,
    Household,
    Resident,
    ResidentNeed,
    Street,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "pass-1234")
        if create:
            user.save(update_fields=["password"])


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    name = factory.Sequence(lambda n: f"街道{n}")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"居委会{n}")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"小区{n}")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    compound = factory.SubFactory(CompoundFactory)
    label = factory.Sequence(lambda n: str(n + 1))
    units = 2
    floors = 6


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    unit = 1
    room = factory.Sequence(lambda n: f"{n % 6 + 1}{n:02d}")
    contact_phone = "13800138000"


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"居民{n}")
    birth_date = datetime.date(1960, 5, 1)
    sex = "F"

    @factory.post_generation
    def needs(resident, create, extracted, **kwargs):
        """ResidentFactory(needs=["dialysis"]) tags the resident; by default no tags."""
        if create and extracted:
            ResidentNeed.objects.bulk_create(
                ResidentNeed(resident=resident, need=need) for need in extracted
            )
