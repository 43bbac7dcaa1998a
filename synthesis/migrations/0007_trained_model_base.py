"""One base for trained models: segmenter and DCGAN registries use the classifier's names
(`config`, `weights`); the job's heartbeat replaces the DCGAN row's own. Data is kept."""

from django.db import migrations


def created_by_from_job(apps, schema_editor):
    for name in ("SegmenterModel", "GanModel", "ClassifierModel"):
        model = apps.get_model("synthesis", name)
        for row in model.objects.filter(created_by__isnull=True, job__isnull=False).select_related(
            "job"
        ):
            model.objects.filter(pk=row.pk).update(created_by=row.job.created_by_id)


class Migration(migrations.Migration):
    dependencies = [
        ("synthesis", "0006_job_harness"),
    ]

    operations = [
        migrations.RenameField("segmentermodel", "checkpoint", "weights"),
        migrations.RenameField("segmentermodel", "hyperparameters", "config"),
        migrations.RenameField("ganmodel", "hyperparameters", "config"),
        migrations.RemoveField("ganmodel", "heartbeat_at"),
    ]
