from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AugmentationExperimentQuerySet(models.QuerySet):
    def completed(self):
        from synthesis.models.synthesis_job import SynthesisJob

        return self.filter(job__status=SynthesisJob.Status.SUCCEEDED).exclude(report={})

    def latest_completed(self):
        return self.completed().order_by("-finished_at", "-id").first()


class AugmentationExperiment(models.Model):
    """Does adding approved synthetic images help? Every synthetic ratio x seed trained on one
    split with one schedule (each run a ClassifierModel), scored on the held-out real images
    and an optional external set. The job runs it; a cancelled or failed job resumes."""

    class Task(models.TextChoices):
        DX7 = "dx7", _("Diagnosis (7 classes)")
        MALIGNANCY = "malignancy", _("Benign / malignant")

    class Start(models.TextChoices):
        SCRATCH = "scratch", _("From scratch")
        CHECKPOINT = "checkpoint", _("Local checkpoint")
        SELF_SUPERVISED = "self_supervised", _("Self-supervised pre-training on the repository")

    job = models.OneToOneField(
        "synthesis.SynthesisJob", on_delete=models.CASCADE, related_name="experiment"
    )
    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    # ExperimentPlan.as_dict(): ratios, seeds, split seed, schedule, starting point.
    plan = models.JSONField(default=dict)
    synthetic_selection = models.JSONField(default=dict, blank=True)
    start = models.CharField(max_length=16, choices=Start.choices, default=Start.SCRATCH)
    # What the runs started from: kind, method, images, epochs, losses, checksum.
    start_record = models.JSONField(default=dict, blank=True)
    pretrained = models.FileField(max_length=255, blank=True)
    # External set: {"name", "csv", "images": [storage names]}; empty when none.
    external = models.JSONField(default=dict, blank=True)
    # {"held_out": {ids, labels, fitzpatrick}, "external": {...}}: what each report scores.
    eval_sets = models.JSONField(default=dict, blank=True)
    # {"held_out": report, "external": report} from synthesis.ml.experiment.report.
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AugmentationExperimentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"experiment #{self.pk} ({self.task})"

    @property
    def ratios(self) -> list[float]:
        return list(self.plan.get("ratios") or [])

    @property
    def seeds(self) -> list[int]:
        return list(self.plan.get("seeds") or [])

    @property
    def runs_planned(self) -> int:
        return len(self.ratios) * len(self.seeds)

    @property
    def headline_report(self) -> dict | None:
        """The external set's report when there is one (the stronger test), else held-out."""
        return self.report.get("external") or self.report.get("held_out")


class AugmentationRun(models.Model):
    """One finished run of an experiment: its classifier and its predictions on the eval sets."""

    experiment = models.ForeignKey(
        AugmentationExperiment, on_delete=models.CASCADE, related_name="runs"
    )
    ratio = models.FloatField()
    seed = models.IntegerField()
    classifier = models.ForeignKey(
        "synthesis.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="augmentation_runs",
    )
    # n_train_real/synthetic, seconds, metrics and the held-out / external probabilities.
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ratio", "seed"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "ratio", "seed"], name="one_run_per_ratio_and_seed"
            )
        ]

    def __str__(self) -> str:
        return f"run r{self.ratio:g}-s{self.seed} of experiment #{self.experiment_id}"
