import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.services.exports import export_plan, export_stream
from repository.validation import message_lines


class Command(BaseCommand):
    help = "Write the public images matching some filters to a ZIP (images, masks, metadata…)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a catalogue filter, e.g. diagnosis=mel or fitzpatrick_min=4; repeatable",
        )
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--layout", default="flat", help="flat or imagefolder")
        parser.add_argument("--augment", default="", help="comma-separated: noise,blur,crop,jpeg")
        parser.add_argument("--seed", default="0", help="augmentation and sampling seed")
        parser.add_argument(
            "--balance", default="", help="at most N images per diagnosis × Fitzpatrick cell"
        )
        parser.add_argument(
            "--synthetic-ratio",
            default="",
            help="0–1: the share of a balanced cell approved synthetic images may fill",
        )

    def handle(self, *args, **opts):
        params = {}
        for item in opts["filter"]:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(
                    gettext("--filter %(item)s is not KEY=VALUE.") % {"item": repr(item)}
                )
            params[key.strip()] = value
        params.update(
            layout=opts["layout"],
            augment=opts["augment"],
            seed=opts["seed"],
            balance=opts["balance"],
            synthetic_ratio=opts["synthetic_ratio"],
        )
        try:
            plan = export_plan(params=params)
            _name, stream, count = export_stream(
                query=plan.query,
                layout=plan.layout,
                augment=plan.augment,
                seed=plan.seed,
                balance=plan.balance,
                synthetic_ratio=plan.synthetic_ratio,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(message_lines(exc))) from None
        out = opts["out"].resolve()
        if not out.parent.is_dir():
            raise CommandError(gettext("No folder %(path)s.") % {"path": out.parent})
        # Write beside the target, then rename: an interrupted export leaves no partial file.
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in stream:
                    fh.write(chunk)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stdout.write(
            gettext("%(count)s image(s), %(size)s bytes -> %(path)s")
            % {"count": count, "size": f"{out.stat().st_size:,}", "path": out}
        )
