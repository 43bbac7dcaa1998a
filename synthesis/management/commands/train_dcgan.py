from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from repository.models import User
from synthesis.management.commands._training import NO_USER, run_here_or_queued
from synthesis.services.gan_training import gan_train_job_create, gan_train_run


class Command(BaseCommand):
    help = (
        "Train a conditional DCGAN on the open database (optionally with approved tone "
        "transfers); stores a new model version and prints it on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="moderator", help="the moderator asking (username)")
        parser.add_argument("--size", type=int, choices=(64, 128), default=64)
        parser.add_argument("--steps", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--width", type=int, default=None, help="generator/discriminator width")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--include-approved-synthetic", action="store_true")
        parser.add_argument("--baseline-steps", type=int, default=None)
        parser.add_argument("--encoder-steps", type=int, default=None)
        parser.add_argument("--per-condition", type=int, default=None)
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
        parser.add_argument("--queue", action="store_true", help="send it to the training worker")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(NO_USER % {"name": repr(opts["user"])})
        config = {
            "image_size": opts["size"],
            "steps": opts["steps"],
            "batch_size": opts["batch_size"],
            "g_width": opts["width"],
            "d_width": opts["width"],
            "seed": opts["seed"],
        }
        evaluation = {
            "baseline_steps": opts["baseline_steps"],
            "encoder_steps": opts["encoder_steps"],
            "per_condition": opts["per_condition"],
        }
        try:
            job = gan_train_job_create(
                user=user,
                config=config,
                include_approved_synthetic=opts["include_approved_synthetic"],
                evaluation=evaluation,
                enqueue=opts["queue"],
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        model = run_here_or_queued(
            self, job, gan_train_run, queued=opts["queue"], device=opts["device"]
        )
        if model is None:
            return
        self.stdout.write(model.metrics.get("side_by_side", ""))
        self.stdout.write(f"{model.step} steps, {model.wall_seconds:.0f} s on {model.device}")
        self.stdout.write(model.version)
