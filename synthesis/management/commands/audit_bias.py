import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.models import User
from synthesis.services.classifier_audit import audit_run, classifier_get


def _messages(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class Command(BaseCommand):
    help = (
        "Audit a trained classifier per Fitzpatrick type and group, on its held-out split or an "
        "external CSV + image folder; writes the JSON report and stores it for the audit page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="classifier version, e.g. dx7-0001")
        parser.add_argument("--eval-csv", help="CSV: image, fitzpatrick, diagnosis/malignant")
        parser.add_argument("--eval-images", help="folder holding the CSV's images")
        parser.add_argument("--compare", help="another version to set side by side")
        parser.add_argument("--out", required=True, help="where to write REPORT.json")
        parser.add_argument("--user", default=None, help="recorded as the audit's author")

    def handle(self, *args, **opts):
        if bool(opts["eval_csv"]) != bool(opts["eval_images"]):
            raise CommandError(gettext("--eval-csv and --eval-images go together."))
        if opts["eval_csv"] and not Path(opts["eval_csv"]).is_file():
            raise CommandError(gettext("No such CSV file: %(path)s") % {"path": opts["eval_csv"]})
        out = Path(opts["out"])
        if not out.parent.is_dir():
            raise CommandError(gettext("No such folder for --out: %(path)s") % {"path": out.parent})
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(gettext("No user %(name)s.") % {"name": repr(opts["user"])})
        try:
            model = classifier_get(version=opts["model"])
            partner = classifier_get(version=opts["compare"]) if opts["compare"] else None
            audit = audit_run(
                model=model,
                eval_csv=opts["eval_csv"],
                eval_images_dir=opts["eval_images"],
                compare_with=partner,
                user=user,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        out.write_text(json.dumps(audit.report, indent=2, sort_keys=True))
        from synthesis.ml.audit import format_table

        self.stdout.write(format_table(audit.main))
        if audit.compared_with_id:
            self.stdout.write(f"compared with {audit.compared_with.version}")
        self.stdout.write(
            gettext("audit #%(id)s written to %(path)s") % {"id": audit.pk, "path": out}
        )
