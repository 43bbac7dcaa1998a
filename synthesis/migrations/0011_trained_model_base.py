"""One base for trained models: segmenter and DCGAN registries use the classifier's names
(`config`, `weights`); the job's heartbeat replaces the DCGAN row's own. Data is kept."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def created_by_from_job(apps, schema_editor):
    for name in ("SegmenterModel", "GanModel", "ClassifierModel"):
        model = apps.get_model("synthesis", name)
        for row in model.objects.filter(created_by__isnull=True, job__isnull=False).select_related(
            "job"
        ):
            model.objects.filter(pk=row.pk).update(created_by=row.job.created_by_id)


class Migration(migrations.Migration):
    dependencies = [
        ("synthesis", "0010_job_harness"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("segmentermodel", "checkpoint", "weights"),
        migrations.RenameField("segmentermodel", "hyperparameters", "config"),
        migrations.RenameField("ganmodel", "hyperparameters", "config"),
        migrations.RemoveField("ganmodel", "heartbeat_at"),
        migrations.AddField(
            model_name="segmentermodel",
            name="weights_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="segmentermodel",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="ganmodel",
            name="weights_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="ganmodel",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="classifiermodel",
            name="weights_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="classifiermodel",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="segmentermodel",
            name="weights",
            field=models.FileField(
                blank=True, max_length=255, upload_to="", verbose_name="weights"
            ),
        ),
        migrations.AlterField(
            model_name="segmentermodel",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
        migrations.AlterField(
            model_name="ganmodel",
            name="weights",
            field=models.FileField(
                blank=True, max_length=255, upload_to="", verbose_name="weights"
            ),
        ),
        migrations.AlterField(
            model_name="ganmodel",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
        migrations.RunPython(created_by_from_job, migrations.RunPython.noop),
    ]
