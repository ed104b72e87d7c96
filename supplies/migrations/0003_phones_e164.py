"""Phones in E.164: the field, then every stored number normalised (an invalid one is kept
as it is and logged)."""

import core.phones
from django.db import migrations


def normalise(apps, schema_editor):
    core.phones.phones_normalise_rows(apps.get_model('supplies', 'Supplier'), 'contact_phone')


class Migration(migrations.Migration):

    dependencies = [
        ('supplies', '0002_field_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='supplier',
            name='contact_phone',
            field=core.phones.PhoneField(blank=True, max_length=20, verbose_name='contact phone'),
        ),
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
