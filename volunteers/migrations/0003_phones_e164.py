"""Phones in E.164: the field, then every stored number normalised (an invalid one is kept
as it is and logged)."""

import core.phones
from django.db import migrations


def normalise(apps, schema_editor):
    core.phones.phones_normalise_rows(apps.get_model('volunteers', 'Volunteer'), 'phone')


class Migration(migrations.Migration):

    dependencies = [
        ('volunteers', '0002_field_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='volunteer',
            name='phone',
            field=core.phones.PhoneField(max_length=20, verbose_name='phone'),
        ),
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
