import functools
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.models import User
from synthesis.management.commands._training import NO_USER, run_here_or_queued
from synthesis.services.segmenter_training import segmenter_train_job_create, segmenter_train_run


class Command(BaseCommand):
    help = (
        "Train a U-Net lesion segmenter on the repository's images with a person's or an expert "
        "mask; stores a new version and prints it on the last line. With --data-dir, train on a "
        "folder of images/ and masks/ instead and write the checkpoint to --out (how the "
        "shipped weights were made)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="moderator", help="the moderator asking (username)")
        parser.add_argument("--epochs", type=int, default=30)
        parser.add_argument("--image-size", type=int, default=128)
        parser.add_argument("--base-channels", type=int, default=16)
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--lr", type=float, default=3e-3)
        parser.add_argument("--arch", default="lite", choices=("lite", "unet"))
        parser.add_argument(
            "--schedule",
            default="onecycle",
            choices=("onecycle", "cosine"),
            help="learning rate: one cycle (from scratch) or cosine decay (fine-tuning)",
        )
        parser.add_argument(
            "--init-from",
            default="",
            help="start from these weights: 'shipped' or a checkpoint file (same network)",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
        parser.add_argument(
            "--device", default=None, help="cpu, cuda or auto (default: cuda if any)"
        )
        parser.add_argument("--data-dir", type=Path, help="train on this images/+masks/ folder")
        parser.add_argument("--val-dir", type=Path, help="choose the epoch on this folder")
        parser.add_argument("--out", type=Path, help="checkpoint file to write (with --data-dir)")
        parser.add_argument("--cache-dir", type=Path, default=Path("var/segcache"))
        parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
        parser.add_argument(
            "--queue", action="store_true", help="queue it for the training worker instead"
        )

    def handle(self, *args, **opts):
        if opts["device"] == "auto":
            opts["device"] = None
        if opts["data_dir"] is not None:
            return self.train_on_folders(opts)
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(NO_USER % {"name": repr(opts["user"])})
        config = self.config(opts)
        try:
            job = segmenter_train_job_create(user=user, config=config, enqueue=opts["queue"])
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        run = functools.partial(segmenter_train_run, echo=self.echo_epoch)
        model = run_here_or_queued(self, job, run, queued=opts["queue"], device=opts["device"])
        if model is None:
            return
        m = model.metrics
        self.stdout.write(
            f"validation Dice {model.val_dice:.3f} on {m.get('val_size')} images "
            f"(trained on {m.get('train_size')}, {m.get('epochs_run')} epochs, "
            f"{model.wall_seconds:.0f} s on {model.device})"
        )
        c = model.comparison
        if c:
            verdict = "beats" if model.beats_shipped else "does not beat"
            self.stdout.write(
                f"on the same {c['images']} held-out images it {verdict} {c['baseline_version']}: "
                f"thresholded Jaccard {c['candidate']['thresholded_jaccard']:.3f} vs "
                f"{c['baseline']['thresholded_jaccard']:.3f}"
                + ("" if model.beats_shipped else f"; {c['baseline_version']} stays the default")
            )
        self.stdout.write(model.version)

    def echo_step(self, step: int, loss: float) -> None:
        if step % 20 == 0:  # a heartbeat between epochs, which can take minutes on a CPU
            self.stdout.write(f"  step {step}  loss {loss:.4f}")
            self.stdout.flush()

    def echo_epoch(self, p: dict) -> None:
        val = "-" if p.get("val_dice") is None else f"{p['val_dice']:.4f}"
        self.stdout.write(
            f"epoch {p['epoch']}/{p['epochs']}  loss {p['loss']:.4f}  val Dice {val}  "
            f"best {p['best_val_dice']:.4f}  {p.get('seconds', 0):.0f} s"
        )
        self.stdout.flush()

    def config(self, opts) -> dict:
        return {
            "arch": opts["arch"],
            "epochs": opts["epochs"],
            "image_size": opts["image_size"],
            "base_channels": opts["base_channels"],
            "batch_size": opts["batch_size"],
            "lr": opts["lr"],
            "seed": opts["seed"],
            "val_every": opts["val_every"],
            "schedule": opts["schedule"],
            "init_from": opts["init_from"],
        }

    def train_on_folders(self, opts) -> None:
        from synthesis.ml.segmentation_folders import train_on_folders

        if opts["val_dir"] is None or opts["out"] is None:
            raise CommandError(
                gettext("--data-dir needs --val-dir (to choose the epoch) and --out.")
            )
        if opts["threads"]:
            import torch

            torch.set_num_threads(opts["threads"])

        try:
            trained = train_on_folders(
                opts["data_dir"],
                opts["val_dir"],
                self.config(opts),
                out=opts["out"],
                cache_dir=opts["cache_dir"],
                device=opts["device"],
                progress=self.echo_epoch,
                on_step=self.echo_step,
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        m = trained.metrics
        self.stdout.write(
            f"best validation Dice {m['val_dice']:.4f} at epoch {m['best_epoch']} "
            f"({m['wall_seconds'] / 60:.1f} min on {m['device']}); wrote {opts['out']}"
        )
