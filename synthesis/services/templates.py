"""Style templates: patches of healthy skin with their measured tone, managed by moderators."""

import io
import logging

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from PIL import Image

from repository.imaging import decode_mask, decode_rgb, pixel_hash
from repository.models import LesionImage
from repository.services.demo import DEMO_DIR
from repository.services.ingest import upload_deidentify
from synthesis.ml.fitzpatrick import DARKER, ROMAN
from synthesis.ml.tone_transfer import StyleTemplate as MLTemplate
from synthesis.ml.tone_transfer import ToneTarget, transfer
from synthesis.models import StyleTemplate
from synthesis.services.files import delete_files, read_stored
from synthesis.services.permissions import require_moderator

logger = logging.getLogger(__name__)

MIN_PATCH_SIDE = 16
# Proposed from published images: a patch must hold the texture's coarsest band and be
# mostly skin by the skin-tone estimator's detector.
PROPOSAL_PATCH_SIDE = 96
MIN_SKIN_SHARE = 0.6
MAX_LESION_SHARE = 0.05  # a patch may graze the lesion border, no more
DEFAULT_SOURCE = "ISIC_0024306"  # a full-resolution demo image with clear, hair-free skin
DEFAULT_PATCH_SIDE = 96


def patch_skin_check(rgb: np.ndarray) -> tuple[float, dict]:
    """(share of the patch read as skin, its texture statistics); a ValidationError when too
    little of it is skin (the skin-tone estimator's detector, as for photographs)."""
    from synthesis.ml.skin_texture import texture_stats
    from synthesis.ml.skin_tone import skin_mask

    skin = skin_mask(rgb, modality="clinical")
    share = float(skin.mean())
    if share < MIN_SKIN_SHARE:
        raise ValidationError(
            {
                "patch": _(
                    "Only %(p)d%% of the patch reads as skin (at least %(min)d%% needed): "
                    "cut a patch of healthy skin, without hair, glare, background or lesion."
                )
                % {"p": round(100 * share), "min": round(100 * MIN_SKIN_SHARE)}
            },
            code="not_skin",
        )
    return share, texture_stats(rgb, skin)


def _measure(rgb: np.ndarray, name: str) -> MLTemplate:
    if min(rgb.shape[:2]) < MIN_PATCH_SIDE:
        raise ValidationError(
            {
                "patch": _("The patch is %(w)s×%(h)s; it must be at least %(min)s pixels a side.")
                % {"w": rgb.shape[1], "h": rgb.shape[0], "min": MIN_PATCH_SIDE}
            }
        )
    try:
        return MLTemplate.from_patch(np.ascontiguousarray(rgb), name=name)
    except ValueError as exc:
        raise ValidationError({"patch": _("The patch cannot be measured: %s") % exc}) from None


def _save(
    *,
    rgb,
    name,
    fitzpatrick,
    user,
    source_image=None,
    crop_box=None,
    note="",
    origin=StyleTemplate.Origin.REAL,
    status=StyleTemplate.Status.ACCEPTED,
    check_skin=True,
) -> StyleTemplate:
    if not str(name).strip():
        raise ValidationError({"name": _("Give the template a name.")})
    if fitzpatrick not in ROMAN:
        raise ValidationError(
            {"fitzpatrick": _("Fitzpatrick type %(v)s is outside I–VI.") % {"v": fitzpatrick}}
        )
    if StyleTemplate.objects.filter(name=name).exists():
        raise ValidationError({"name": _("A template named %(n)s exists already.") % {"n": name}})
    measured = _measure(rgb, name)
    share, texture = patch_skin_check(rgb) if check_skin else (None, {})
    licence = attribution = ""
    if source_image is not None:
        licence = source_image.licence
        attribution = _attribution(source_image)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    digest = pixel_hash(Image.fromarray(rgb))
    stored = default_storage.save(
        f"style_templates/{digest[:2]}/{digest}.png", ContentFile(out.getvalue())
    )
    try:
        with transaction.atomic():
            return StyleTemplate.objects.create(
                name=name,
                patch=stored,
                fitzpatrick=fitzpatrick,
                ita_deg=round(measured.ita_deg, 3),
                lab_stats={
                    "lab_mean": measured.as_dict()["lab_mean"],
                    "lab_std": measured.as_dict()["lab_std"],
                },
                width=rgb.shape[1],
                height=rgb.shape[0],
                source_image=source_image,
                crop_box=crop_box,
                note=note,
                created_by=user,
                origin=origin,
                status=status,
                is_active=status == StyleTemplate.Status.ACCEPTED,
                licence=licence,
                attribution=attribution,
                texture=texture,
                skin_share=share,
            )
    except IntegrityError:
        delete_files([stored])
        raise ValidationError(
            {"name": _("A template named %(n)s exists already.") % {"n": name}}
        ) from None
    except BaseException:
        delete_files([stored])
        raise


def style_template_create_from_upload(
    *, user, name: str, fitzpatrick: int, data: bytes
) -> StyleTemplate:
    """A moderator uploads a skin patch; EXIF and the rest are stripped like any upload."""
    require_moderator(user)
    rgb = decode_rgb(upload_deidentify(data, field="patch").content)
    return _save(rgb=rgb, name=name, fitzpatrick=fitzpatrick, user=user, note=_("uploaded"))


def style_template_crop_source(*, image_id: int) -> LesionImage:
    """The contributed image a moderator cuts a patch from; a missing one is a form error."""
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        raise ValidationError({"image": _("There is no image #%(id)s.") % {"id": image_id}})
    return image


def style_template_create_from_crop(
    *, user, name: str, fitzpatrick: int, image: LesionImage, box: tuple[int, int, int, int]
) -> StyleTemplate:
    """Cut a patch of healthy skin (left, top, width, height) from a contributed image."""
    require_moderator(user)
    left, top, width, height = (int(v) for v in box)
    if width < MIN_PATCH_SIDE or height < MIN_PATCH_SIDE:
        raise ValidationError(
            {
                "box": _("The patch must be at least %(min)s pixels a side.")
                % {"min": MIN_PATCH_SIDE}
            }
        )
    if left < 0 or top < 0 or left + width > image.width or top + height > image.height:
        raise ValidationError(
            {
                "box": _("The box falls outside the %(w)s×%(h)s image.")
                % {"w": image.width, "h": image.height}
            }
        )
    rgb = decode_rgb(read_stored(image.image.name))
    if image.mask:
        mask = decode_mask(read_stored(image.mask.name), size=(image.width, image.height))
        share = float(mask[top : top + height, left : left + width].mean())
        if share > MAX_LESION_SHARE:
            raise ValidationError(
                {
                    "box": _("%(p)d%% of the box is lesion; cut a patch of healthy skin.")
                    % {"p": round(100 * share)}
                }
            )
    patch = np.ascontiguousarray(rgb[top : top + height, left : left + width])
    return _save(
        rgb=patch,
        name=name,
        fitzpatrick=fitzpatrick,
        user=user,
        source_image=image,
        crop_box=[left, top, width, height],
        note=_("cut from image #%(id)s") % {"id": image.pk},
    )


def _attribution(image: LesionImage) -> str:
    credit = getattr(image, "attribution", "") or ""
    if credit:
        return str(credit)[:255]
    contributor = getattr(image, "contributor", None)
    who = contributor.get_username() if contributor else ""
    return (_("PixGen image #%(id)s, contributed by %(who)s") % {"id": image.pk, "who": who})[:255]


def style_template_propose_from_image(*, image: LesionImage) -> StyleTemplate | None:
    """A newly published Fitzpatrick IV-VI image: propose its healthy skin, away from the
    lesion, as a real-skin template for a moderator to accept (idempotent; None when the image
    has no usable patch: the reason is logged)."""
    if image.fitzpatrick not in DARKER or image.status != LesionImage.Status.PUBLIC:
        return None
    existing = StyleTemplate.objects.filter(source_image=image, origin=StyleTemplate.Origin.REAL)
    if existing.exists():
        return None
    rgb = decode_rgb(read_stored(image.image.name))
    if image.mask:
        mask = decode_mask(read_stored(image.mask.name), size=(rgb.shape[1], rgb.shape[0]))
    else:
        mask = np.zeros(rgb.shape[:2], dtype=bool)
    from scipy import ndimage

    # Away from the lesion: its border and a margin are left out; a large lesion leaves less
    # room, so smaller margins and patches are tried, down to what the texture needs.
    from synthesis.ml.skin_texture import MIN_TEMPLATE_SIDE

    distance = ndimage.distance_transform_edt(~mask) if mask.any() else None
    box = None
    for side, margin_share in ((PROPOSAL_PATCH_SIDE, 10), (72, 20), (MIN_TEMPLATE_SIDE, 40)):
        side = min(side, min(rgb.shape[:2]) // 2)
        margin = max(4, min(rgb.shape[:2]) // margin_share)
        keep_out = mask if distance is None else distance <= margin
        try:
            box = healthy_patch_box(rgb, keep_out, side)
            break
        except ValueError:
            continue
    if box is None or box[2] < MIN_TEMPLATE_SIDE:
        logger.info("image %s: no lesion-free patch to propose as a template", image.pk)
        return None
    left, top, width, height = box
    patch = np.ascontiguousarray(rgb[top : top + height, left : left + width])
    try:
        return _save(
            rgb=patch,
            name=f"Fitzpatrick {ROMAN[image.fitzpatrick]} — real skin from image #{image.pk}",
            fitzpatrick=image.fitzpatrick,
            user=None,
            source_image=image,
            crop_box=[left, top, width, height],
            note=_("proposed from published image #%(id)s") % {"id": image.pk},
            status=StyleTemplate.Status.PROPOSED,
        )
    except ValidationError as exc:
        logger.info("image %s: patch not proposed: %s", image.pk, " ".join(exc.messages))
        return None


def style_template_decide(*, template: StyleTemplate, user, accept: bool) -> StyleTemplate:
    """A moderator accepts a proposed template (it becomes usable) or rejects it."""
    require_moderator(user)
    status = StyleTemplate.Status.ACCEPTED if accept else StyleTemplate.Status.REJECTED
    updated = StyleTemplate.objects.filter(
        pk=template.pk, status=StyleTemplate.Status.PROPOSED
    ).update(status=status, is_active=accept)
    if not updated:
        raise ValidationError(
            _("Template %(name)s is not awaiting a decision.") % {"name": template}
        )
    template.refresh_from_db()
    return template


def style_template_set_active(*, template: StyleTemplate, user, active: bool) -> StyleTemplate:
    require_moderator(user)
    template.is_active = active
    template.save(update_fields=["is_active"])
    return template


def style_template_to_ml(template: StyleTemplate) -> MLTemplate:
    rgb = decode_rgb(read_stored(template.patch.name))
    stats = template.lab_stats or {}
    if "lab_mean" not in stats or "lab_std" not in stats:
        return MLTemplate.from_patch(rgb, name=template.name)
    return MLTemplate(
        patch=rgb,
        ita_deg=float(template.ita_deg),
        lab_mean=tuple(float(v) for v in stats["lab_mean"]),
        lab_std=tuple(float(v) for v in stats["lab_std"]),
        name=template.name,
    )


def healthy_patch_box(rgb: np.ndarray, mask: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """The lesion-free window whose darkest tenth is brightest: no hair, no vignette."""
    height, width = mask.shape
    best, best_score = None, -1.0
    for y in range(0, height - size, size // 2):
        for x in range(0, width - size, size // 2):
            if mask[y : y + size, x : x + size].any():
                continue
            score = float(np.percentile(rgb[y : y + size, x : x + size].mean(axis=2), 10))
            if score > best_score:
                best, best_score = (x, y, size, size), score
    if best is None:
        raise ValueError("no lesion-free patch in this image")
    return best


def default_template_name(skin_type: int) -> str:
    return f"Fitzpatrick {ROMAN[skin_type]} — rendered from {DEFAULT_SOURCE} (melanin)"


def style_templates_load_defaults(*, user=None) -> list[StyleTemplate]:
    """One template per Fitzpatrick type for the demo (idempotent; returns those created now).

    The demo images are all light skin, so each patch is healthy skin cut from one demo image
    and rendered by the melanin backend at the type's band centre: named for what it is."""
    missing = [
        t for t in ROMAN if not StyleTemplate.objects.filter(name=default_template_name(t)).exists()
    ]
    if not missing:
        return []
    path = DEMO_DIR / "images" / f"{DEFAULT_SOURCE}.jpg"
    with Image.open(path) as img:
        source = img.convert("RGB")
    rgb = np.asarray(source)
    mask = decode_mask(
        (DEMO_DIR / "masks" / f"{DEFAULT_SOURCE}.png").read_bytes(), size=source.size
    )
    left, top, width, height = healthy_patch_box(rgb, mask, DEFAULT_PATCH_SIDE)
    image = LesionImage.objects.filter(sha256=pixel_hash(source)).first()
    created = []
    for skin_type in missing:
        rendered = transfer(
            rgb, mask, ToneTarget.for_fitzpatrick(skin_type), backend="melanin", measure=False
        ).image
        patch = np.ascontiguousarray(rendered[top : top + height, left : left + width])
        try:
            template = _save(
                rgb=patch,
                name=default_template_name(skin_type),
                fitzpatrick=skin_type,
                user=user,
                source_image=image,
                crop_box=[left, top, width, height],
                note=f"demo default: {DEFAULT_SOURCE} rendered by the melanin backend at the "
                f"Fitzpatrick {ROMAN[skin_type]} band centre — rendered, not real skin",
                origin=StyleTemplate.Origin.RENDERED,
                # Rendered from a real patch; the lightest renders leave the skin detector's
                # range, and a rendered patch never lends texture, so it is not re-checked.
                check_skin=False,
            )
        except ValidationError:  # created meanwhile by a concurrent run
            continue
        created.append(template)
    return created
