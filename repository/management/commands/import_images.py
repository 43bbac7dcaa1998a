from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.models import User
from repository.services.batch_import import batch_import
from repository.vocabulary import Confirmation, Licence, Modality

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class Command(BaseCommand):
    help = (
        "Import images listed in a CSV (HAM10000 columns plus fitzpatrick, or an ISIC Archive "
        "metadata CSV) from a folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, type=Path)
        parser.add_argument("--images", required=True, type=Path, help="folder holding the files")
        parser.add_argument("--contributor", required=True, help="username of a verified clinician")
        parser.add_argument("--modality", default=Modality.DERMOSCOPIC, choices=Modality.values)
        parser.add_argument("--licence", default=Licence.CC_BY_NC, choices=Licence.values)
        parser.add_argument(
            "--confirmation", default=Confirmation.CLINICAL, choices=Confirmation.values
        )
        parser.add_argument("--source-note", default="")
        parser.add_argument(
            "--format",
            default="auto",
            choices=("auto", "ham10000", "isic"),
            help="the CSV's columns; auto reads an ISIC CSV (isic_id or filename, "
            "fitzpatrick_skin_type, diagnosis_1…) as ISIC and anything else as HAM10000",
        )
        parser.add_argument(
            "--consent-attested",
            action="store_true",
            help="required: you attest every patient consented to open sharing",
        )

    def handle(self, *args, **opts):
        if not opts["consent_attested"]:
            raise CommandError(
                gettext("Pass --consent-attested to confirm patient consent for every image.")
            )
        if not opts["csv"].is_file():
            raise CommandError(gettext("No CSV at %(path)s.") % {"path": opts["csv"]})
        if not opts["images"].is_dir():
            raise CommandError(gettext("No folder at %(path)s.") % {"path": opts["images"]})
        contributor = User.objects.filter(username=opts["contributor"]).first()
        if contributor is None:
            raise CommandError(
                gettext("No user named %(name)s.") % {"name": repr(opts["contributor"])}
            )
        paths = [p for p in opts["images"].iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        handles = {p.name: p.open("rb") for p in paths}
        try:
            report = batch_import(
                contributor=contributor,
                csv_data=opts["csv"].read_bytes(),
                files=handles,
                modality=opts["modality"],
                licence=opts["licence"],
                consent_attested=True,
                diagnosis_confirmation=opts["confirmation"],
                source_note=opts["source_note"],
                csv_format=opts["format"],
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        finally:
            for fh in handles.values():
                fh.close()
        for row in report.rows:
            if row.ok:
                self.stdout.write(
                    gettext("row %(row)s %(image)s: imported as #%(pk)s")
                    % {"row": row.row, "image": row.image_id, "pk": row.image_pk}
                )
                if row.near_duplicates:
                    self.stdout.write(
                        gettext(
                            "row %(row)s %(image)s: looks very like %(others)s (a moderator "
                            "will compare them)"
                        )
                        % {
                            "row": row.row,
                            "image": row.image_id,
                            "others": ", ".join(row.near_duplicates),
                        }
                    )
            else:
                self.stderr.write(f"row {row.row} {row.image_id}: {'; '.join(row.errors)}")
        self.stdout.write(
            gettext("%(created)s imported, %(failed)s not imported")
            % {"created": report.created, "failed": report.failed}
        )
        if report.failed and not report.created:
            raise CommandError(gettext("Nothing was imported."))
