from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from repository.models import User
from synthesis.management.commands._training import run_here_or_queued
from synthesis.services.segmenter_training import segmenter_train_job_create, segmenter_train_run


class Command(BaseCommand):
    help = (
        "Train a U-Net lesion segmenter on the repository's images with a person's or an expert "
        "mask; stores a new version and prints it on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="moderator", help="the moderator asking (username)")
        parser.add_argument("--epochs", type=int, default=30)
        parser.add_argument("--image-size", type=int, default=128)
        parser.add_argument("--base-channels", type=int, default=16)
        parser.add_argument("--batch-size", type=int, default=8)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
        parser.add_argument(
            "--queue", action="store_true", help="queue it for the training worker instead"
        )

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"No user {opts['user']!r}; name a moderator with --user.")
        config = {
            "epochs": opts["epochs"],
            "image_size": opts["image_size"],
            "base_channels": opts["base_channels"],
            "batch_size": opts["batch_size"],
            "seed": opts["seed"],
        }
        try:
            job = segmenter_train_job_create(user=user, config=config, enqueue=opts["queue"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        model = run_here_or_queued(
            self, job, segmenter_train_run, queued=opts["queue"], device=opts["device"]
        )
        if model is None:
            return
        m = model.metrics
        self.stdout.write(
            f"validation Dice {model.val_dice:.3f} on {m.get('val_size')} images "
            f"(trained on {m.get('train_size')}, {m.get('epochs_run')} epochs, "
            f"{model.wall_seconds:.0f} s on {model.device})"
        )
        self.stdout.write(model.version)
