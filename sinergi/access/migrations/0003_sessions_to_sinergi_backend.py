"""Signed-in sessions keep working after the switch to `sinergi.access.backends`."""

from django.db import migrations

from sinergi.access.sessions_migration import DJANGO, SINERGI, rename_backend


def forwards(apps, schema_editor):
    rename_backend(apps.get_model("sessions", "Session"), DJANGO, SINERGI)


def backwards(apps, schema_editor):
    rename_backend(apps.get_model("sessions", "Session"), SINERGI, DJANGO)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
