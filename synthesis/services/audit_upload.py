"""An external evaluation set uploaded through the web: a CSV and its image files, written to a
temporary folder for the audit and removed afterwards."""

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from synthesis.models import BiasAudit, ClassifierModel
from synthesis.services.classifier_audit import audit_run
from synthesis.services.permissions import require_synthesis_staff


def audit_run_uploaded(*, model: ClassifierModel, user, eval_csv, images) -> BiasAudit:
    """Audit on an uploaded CSV + images (files with plain, unique names)."""
    require_synthesis_staff(user)
    names = [Path(f.name).name for f in images]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(
            {"images": _("Image file(s) chosen twice: %(n)s.") % {"n": ", ".join(duplicates)}}
        )
    with tempfile.TemporaryDirectory(prefix="pixgen-audit-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for name, upload in zip(names, images, strict=True):
            with open(folder / name, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        csv_path = Path(tmp) / "eval.csv"
        with open(csv_path, "wb") as out:
            for chunk in eval_csv.chunks():
                out.write(chunk)
        return audit_run(
            model=model,
            eval_csv=csv_path,
            eval_images_dir=folder,
            eval_name=Path(eval_csv.name).name,
            user=user,
        )


def audit_run_held_out(*, model: ClassifierModel, user) -> BiasAudit:
    require_synthesis_staff(user)
    return audit_run(model=model, user=user)
