import csv
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.models import User
from synthesis.management.commands._training import NO_USER, run_here_or_queued
from synthesis.models import AugmentationExperiment
from synthesis.services.augmentation import (
    augmentation_experiment_create,
    augmentation_experiment_resume,
    augmentation_experiment_run,
)


def _messages(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class Command(BaseCommand):
    help = (
        "Does synthetic data help? Train a classifier for each ratio of approved synthetic "
        "images per real one and each seed on one split with one schedule, score them on the "
        "held-out real images (and an external set), and report per Fitzpatrick group with "
        "intervals. Prints the report table; --out writes JSON, CSV and PNG files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--task", choices=["dx7", "malignancy"])
        parser.add_argument("--synthetic-ratio", default="0,1,3,10", help="e.g. 0,1,3,10")
        parser.add_argument("--seeds", type=int, default=5, help="seeds per ratio (0..N-1)")
        parser.add_argument("--eval-csv", help="external set: CSV (image, fitzpatrick, diagnosis)")
        parser.add_argument("--eval-images", help="external set: folder of its images")
        parser.add_argument("--epochs", type=int, default=None)
        parser.add_argument("--image-size", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--arch", default=None, help="torchvision architecture")
        parser.add_argument(
            "--start",
            default="scratch",
            choices=["scratch", "self-supervised", "checkpoint"],
            help="starting point of every run",
        )
        parser.add_argument("--checkpoint", help="local state_dict for --start checkpoint")
        parser.add_argument("--pretrain-epochs", type=int, default=10)
        parser.add_argument(
            "--method", action="append", default=[], help="synthesis method (repeatable)"
        )
        parser.add_argument("--out", help="folder for report.json, report.csv and the PNGs")
        parser.add_argument("--resume", type=int, help="resume experiment #ID (cancelled/failed)")
        parser.add_argument("--user", default="moderator", help="the moderator asking (username)")
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
        parser.add_argument(
            "--queue", action="store_true", help="queue it for the training worker instead"
        )

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(NO_USER % {"name": repr(opts["user"])})
        if opts["out"] and Path(opts["out"]).exists() and not Path(opts["out"]).is_dir():
            raise CommandError(
                gettext("--out %(path)s exists and is not a folder.") % {"path": opts["out"]}
            )
        try:
            experiment = self._experiment(user, opts)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(_messages(exc)) from None
        done = run_here_or_queued(
            self,
            experiment.job,
            augmentation_experiment_run,
            queued=opts["queue"],
            device=opts["device"],
        )
        if done is None:
            return
        self._report(done, opts["out"])

    def _experiment(self, user, opts) -> AugmentationExperiment:
        if opts["resume"] is not None:
            experiment = AugmentationExperiment.objects.filter(pk=opts["resume"]).first()
            if experiment is None:
                raise CommandError(gettext("No experiment #%(id)s.") % {"id": opts["resume"]})
            return augmentation_experiment_resume(
                experiment=experiment, user=user, enqueue=opts["queue"]
            )
        if not opts["task"]:
            raise CommandError(
                gettext("--task is required (dx7 or malignancy) unless --resume is given.")
            )
        if bool(opts["eval_csv"]) != bool(opts["eval_images"]):
            raise CommandError(gettext("--eval-csv and --eval-images go together."))
        for key in ("eval_csv", "eval_images"):
            if opts[key] and not Path(opts[key]).exists():
                raise CommandError(
                    gettext("--%(option)s %(path)s does not exist.")
                    % {"option": key.replace("_", "-"), "path": opts[key]}
                )
        if opts["start"] == "checkpoint" and not opts["checkpoint"]:
            raise CommandError(gettext("--start checkpoint needs --checkpoint PATH."))
        config = {
            "image_size": opts["image_size"],
            "batch_size": opts["batch_size"],
            "arch": opts["arch"],
            "checkpoint_path": opts["checkpoint"],
        }
        return augmentation_experiment_create(
            user=user,
            task=opts["task"],
            ratios=opts["synthetic_ratio"],
            seeds=opts["seeds"],
            epochs=opts["epochs"],
            config=config,
            start=opts["start"].replace("-", "_"),
            pretrain_epochs=opts["pretrain_epochs"],
            synthetic_selection={"methods": opts["method"]} if opts["method"] else {},
            eval_csv=opts["eval_csv"],
            eval_images_dir=opts["eval_images"],
            enqueue=opts["queue"],
        )

    def _report(self, experiment: AugmentationExperiment, out):
        from synthesis.ml.experiment.plots import write_figures
        from synthesis.ml.experiment.report import format_table, table_rows

        for name, report in experiment.report.items():
            self.stdout.write(f"== {name} ({report['n']} images) ==")
            self.stdout.write(format_table(report))
        if out:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            payload = {
                "experiment": experiment.pk,
                "plan": experiment.plan,
                "start": experiment.start_record,
                "reports": experiment.report,
            }
            (folder / "report.json").write_text(json.dumps(payload, indent=1))
            rows = [r for n, rep in experiment.report.items() for r in table_rows(rep, n)]
            with open(folder / "report.csv", "w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            written = write_figures(experiment.report, folder, gettext=gettext)
            self.stdout.write(
                gettext("Wrote report.json, report.csv and %(n)s PNGs to %(path)s")
                % {"n": len(written), "path": folder}
            )
        self.stdout.write(f"experiment #{experiment.pk}")
