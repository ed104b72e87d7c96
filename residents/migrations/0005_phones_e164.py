"""Phones in E.164: the field, then every stored number normalised (an invalid one is kept
as it is and logged)."""

import core.phones
from django.db import migrations


def normalise(apps, schema_editor):
    core.phones.phones_normalise_rows(apps.get_model('residents', 'Household'), 'contact_phone')
    core.phones.phones_normalise_rows(apps.get_model('residents', 'Resident'), 'phone')


class Migration(migrations.Migration):

    dependencies = [
        ('residents', '0004_loginbatch'),
    ]

    operations = [
        migrations.AlterField(
            model_name='household',
            name='contact_phone',
            field=core.phones.PhoneField(blank=True, max_length=20, verbose_name='contact phone'),
        ),
        migrations.AlterField(
            model_name='resident',
            name='phone',
            field=core.phones.PhoneField(blank=True, max_length=20, verbose_name='phone'),
        ),
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
