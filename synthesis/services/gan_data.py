"""The training data of a DCGAN: a snapshot of the open database, and its records again later.

Public real images, plus (optionally) approved skin-tone transfers, which is how conditions
on darker skin reach the GAN while real images of them are rare. A snapshot lists the rows
by id and pixel hash, so a resumed run trains on exactly the same images or refuses."""

import hashlib
from typing import TYPE_CHECKING

import numpy as np
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from repository.imaging import ImageRejected, decode_rgb
from repository.models import LesionImage
from repository.vocabulary import Licence
from synthesis.models import SyntheticImage
from synthesis.services.files import read_stored

if TYPE_CHECKING:  # torch: loaded by the worker that trains, never by a page
    from synthesis.ml.dcgan.data import ImageRecord

MIN_IMAGES = 2
# Most to least permissive: a model (and what it generates) takes the strictest licence of
# the images it learned from.
LICENCE_ORDER = (Licence.CC0, Licence.CC_BY, Licence.CC_BY_NC)


def _conditions(row) -> dict:
    site = row.body_site if row.body_site and row.body_site != "unknown" else None
    return {
        "diagnosis": row.diagnosis.code,
        "fitzpatrick": int(row.fitzpatrick),
        # Repository ages are 5-year bins whose lower bounds fall on the DCGAN's bin edges.
        "age": row.age_bin,
        "sex": row.sex if row.sex and row.sex != "unknown" else None,
        "body_site": site,
    }


def _rgb(name: str, image_size: int) -> np.ndarray:
    """Pixels scaled (deterministically) so the short side is twice the training size."""
    rgb = decode_rgb(read_stored(name))
    image = Image.fromarray(rgb)
    scale = 2 * image_size / min(image.size)
    if scale < 1:
        size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image)


def _real_rows(ids=None):
    rows = LesionImage.objects.public().filter(fitzpatrick__isnull=False)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.select_related("diagnosis").order_by("pk")


def _synthetic_rows(ids=None):
    rows = SyntheticImage.objects.public().filter(
        method=SyntheticImage.Method.TONE_TRANSFER, fitzpatrick__isnull=False
    )
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.select_related("diagnosis").order_by("pk")


def _read(rows, image_size: int, skipped: list, kind: str) -> tuple[list, list]:
    from synthesis.ml.dcgan.data import ImageRecord

    records, listed = [], []
    for row in rows:
        try:
            rgb = _rgb(row.image.name, image_size)
        except (ImageRejected, OSError, ValueError) as exc:
            skipped.append({"kind": kind, "id": row.pk, "reason": str(exc)})
            continue
        records.append(ImageRecord(rgb, _conditions(row)))
        listed.append([row.pk, row.sha256])
    return records, listed


def _licence(licences: set[str]) -> str:
    return max(licences, key=LICENCE_ORDER.index) if licences else Licence.CC_BY


def gan_snapshot_take(
    *, image_size: int, include_approved_synthetic: bool
) -> tuple[list["ImageRecord"], dict]:
    """Records and a snapshot of the open database as it is now."""
    from synthesis.ml.dcgan.data import records_fingerprint

    skipped: list[dict] = []
    real = list(_real_rows())
    records, real_listed = _read(real, image_size, skipped, "real")
    synthetic = list(_synthetic_rows()) if include_approved_synthetic else []
    more, synth_listed = _read(synthetic, image_size, skipped, "synthetic")
    records += more
    if len(records) < MIN_IMAGES:
        raise ValidationError(
            _("The open database has %(n)s usable images; at least %(min)s are needed.")
            % {"n": len(records), "min": MIN_IMAGES}
        )
    used = {pk for pk, _sha in real_listed}
    used_synth = {pk for pk, _sha in synth_listed}
    licences = {r.licence for r in real if r.pk in used}
    licences |= {s.licence for s in synthetic if s.pk in used_synth}
    listing = ",".join(f"{pk}:{sha}" for pk, sha in real_listed + synth_listed)
    snapshot = {
        "images": real_listed,
        "synthetic": synth_listed,
        "n_real": len(real_listed),
        "n_synthetic": len(synth_listed),
        "include_approved_synthetic": include_approved_synthetic,
        "sha_list_hash": hashlib.sha256(listing.encode()).hexdigest(),
        "fingerprint": records_fingerprint(records),
        "licence": _licence(licences),
        "skipped": skipped,
        "taken_at": timezone.now().isoformat(),
    }
    return records, snapshot


def gan_snapshot_records(*, snapshot: dict, image_size: int) -> list["ImageRecord"]:
    """The records of an earlier snapshot; ValidationError if any image left or changed."""
    from synthesis.ml.dcgan.data import records_fingerprint

    wanted_real = [tuple(x) for x in snapshot.get("images", [])]
    wanted_synth = [tuple(x) for x in snapshot.get("synthetic", [])]
    real = list(_real_rows([pk for pk, _sha in wanted_real]))
    synth = list(_synthetic_rows([pk for pk, _sha in wanted_synth]))
    if [(r.pk, r.sha256) for r in real] != wanted_real or [
        (s.pk, s.sha256) for s in synth
    ] != wanted_synth:
        raise ValidationError(
            _("Images of this model's training snapshot are no longer public; it cannot resume.")
        )
    skipped: list[dict] = []
    records = (
        _read(real, image_size, skipped, "real")[0] + _read(synth, image_size, skipped, "s")[0]
    )
    if skipped or records_fingerprint(records) != snapshot.get("fingerprint"):
        raise ValidationError(_("The training snapshot's images changed; it cannot resume."))
    return records
