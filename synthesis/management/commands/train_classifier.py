from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from repository.models import User
from synthesis.management.commands._training import NO_USER, run_here_or_queued
from synthesis.services.classifier_training import (
    classifier_train_job_create,
    classifier_train_run,
)


def _messages(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class Command(BaseCommand):
    help = (
        "Train a lesion classifier (dx7 or malignancy) on the open database, real images only "
        "or with approved synthetic ones; stores a new version and prints it on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--task", required=True, choices=["dx7", "malignancy"])
        parser.add_argument("--with-synthetic", action="store_true")
        parser.add_argument(
            "--method", action="append", default=[], help="synthesis method (repeatable)"
        )
        parser.add_argument(
            "--model-version",
            action="append",
            default=[],
            help="only synthetic images of this generator/backend version (repeatable)",
        )
        parser.add_argument("--user", default="moderator", help="the moderator asking (username)")
        parser.add_argument("--epochs", type=int, default=None)
        parser.add_argument("--image-size", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--arch", default=None, help="torchvision architecture")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
        parser.add_argument(
            "--queue", action="store_true", help="queue it for the training worker instead"
        )

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(NO_USER % {"name": repr(opts["user"])})
        config = {
            "epochs": opts["epochs"],
            "image_size": opts["image_size"],
            "batch_size": opts["batch_size"],
            "arch": opts["arch"],
            "seed": opts["seed"],
        }
        try:
            job = classifier_train_job_create(
                user=user,
                task=opts["task"],
                with_synthetic=opts["with_synthetic"],
                synthetic_selection={
                    "methods": opts["method"],
                    "model_versions": opts["model_version"],
                },
                config=config,
                enqueue=opts["queue"],
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(_messages(exc)) from None
        model = run_here_or_queued(
            self, job, classifier_train_run, queued=opts["queue"], device=opts["device"]
        )
        if model is None:
            return
        m, snap = model.metrics, model.data_snapshot
        self.stdout.write(
            f"test accuracy {m.get('test_accuracy', float('nan')):.3f}, balanced accuracy "
            f"{m.get('test_balanced_accuracy', float('nan')):.3f} on {snap.get('n_test')} images "
            f"(trained on {snap.get('n_train')}, {snap.get('n_train_synthetic')} synthetic; "
            f"{model.wall_seconds:.0f} s on {model.device})"
        )
        self.stdout.write(model.version)
