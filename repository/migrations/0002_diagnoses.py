"""The starting diagnosis vocabulary: HAM10000's seven classes and conditions whose presentation
differs on darker skin. Moderators add more in the admin."""

from django.db import migrations

from repository.migrations._seed import DIAGNOSES, seed_diagnoses


def forwards(apps, schema_editor):
    seed_diagnoses(apps)


def backwards(apps, schema_editor):
    apps.get_model("repository", "Diagnosis").objects.filter(
        code__in=[code for code, _name, _m in DIAGNOSES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("repository", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
