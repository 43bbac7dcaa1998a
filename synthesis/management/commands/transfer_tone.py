import io
import json
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from PIL import Image

from repository.imaging import ImageRejected, decode_mask, decode_rgb
from synthesis.models import StyleTemplate
from synthesis.services.segmenters import segmenter_default
from synthesis.services.targets import (
    backend_check,
    distribution_check,
    distributions_for,
    seed_check,
    target_fitzpatrick,
    target_ita,
    template_lookup,
)
from synthesis.services.templates import style_template_to_ml


class Command(BaseCommand):
    help = (
        "Re-render an image's healthy skin at a target tone and write it; prints the provenance "
        "and measurements as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--image", required=True, type=Path)
        parser.add_argument("--mask", type=Path, help="lesion mask PNG (computed when omitted)")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--fitzpatrick", help="target type, 1–6 or I–VI")
        target.add_argument("--ita", help="target ITA in degrees")
        target.add_argument(
            "--templates",
            nargs=2,
            metavar=("A", "B"),
            help="two style templates: ids or names of stored templates, or skin-patch image files",
        )
        parser.add_argument("--alpha", help="mix of the templates: 0 is A, 1 is B")
        parser.add_argument(
            "--backend", default=None, help="chromophore, melanin, lab-stats or magenta"
        )
        parser.add_argument("--magenta-handle", help="local SavedModel folder (magenta)")
        parser.add_argument(
            "--seed", default="0", help="whole number; draws the Fitzpatrick target's skin colour"
        )
        parser.add_argument(
            "--target-distribution",
            type=Path,
            help="JSON file of per-type skin colour distributions (all six types); default: "
            "the published colorimetry",
        )
        parser.add_argument(
            "--no-draw",
            action="store_true",
            help="aim a Fitzpatrick target at its band centre instead of drawing a colour",
        )
        parser.add_argument(
            "--modality", default="dermoscopic", choices=["dermoscopic", "clinical"]
        )
        parser.add_argument("--diagnosis", help="diagnosis code (mel, nv, ...): lesion fidelity")
        parser.add_argument("--out", required=True, type=Path, help="output image (.png or .jpg)")

    def handle(self, *args, **opts):
        try:
            result = self._run(opts)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except FileNotFoundError as exc:
            raise CommandError(gettext("No such file: %(path)s") % {"path": exc.filename}) from None
        except (ImageRejected, ValueError, RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result.as_dict()))

    def _run(self, opts):
        # TensorFlow, which magenta loads, segfaults unless torch and torchvision come first.
        import torch  # noqa: F401
        import torchvision  # noqa: F401

        from synthesis.ml.lesion_fidelity import lesion_kind_for
        from synthesis.ml.tone_transfer import ToneTarget, transfer

        seed = seed_check(opts["seed"], field="--seed")
        distributions = None
        if opts["target_distribution"]:
            try:
                raw = opts["target_distribution"].read_bytes()
            except FileNotFoundError:
                raise ValidationError(
                    gettext("No such target distribution file: %(path)s")
                    % {"path": opts["target_distribution"]}
                ) from None
            distributions = distributions_for(
                distribution_check(raw, field="--target-distribution")
            )
        backend, params = backend_check(opts["backend"], {"handle": opts["magenta_handle"]})
        if opts["out"].suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ValidationError(gettext("--out must end in .png or .jpg"))
        if opts["templates"]:
            if opts["alpha"] is None:
                raise ValidationError(
                    gettext("--templates needs --alpha (0 is template A, 1 is B).")
                )
            alpha = float(opts["alpha"]) if _is_number(opts["alpha"]) else None
            if alpha is None or not 0.0 <= alpha <= 1.0:
                raise ValidationError(
                    gettext("--alpha must be within [0, 1], got %(alpha)s.")
                    % {"alpha": opts["alpha"]}
                )
            a, b = (self._template(ref) for ref in opts["templates"])
            target = ToneTarget.mix(a, b, alpha)
        elif opts["alpha"] is not None:
            raise ValidationError(gettext("--alpha goes with --templates only."))
        elif opts["fitzpatrick"] is not None:
            skin_type = target_fitzpatrick(opts["fitzpatrick"])["fitzpatrick"]
            if opts["no_draw"]:
                target = ToneTarget.for_fitzpatrick(skin_type)
            else:
                target = ToneTarget.drawn(skin_type, seed, distributions)
        else:
            target = ToneTarget.for_ita(target_ita(opts["ita"])["ita_deg"])
        rgb = decode_rgb(opts["image"].read_bytes())
        if opts["mask"]:
            mask = decode_mask(opts["mask"].read_bytes(), size=(rgb.shape[1], rgb.shape[0]))
        else:
            mask = segmenter_default().segment(rgb)
        if backend == "magenta" and target.kind != "templates":
            params["style_template"] = self._style_for(target)
        result = transfer(
            rgb,
            mask,
            target,
            backend=backend,
            seed=seed,
            modality=opts["modality"],
            lesion_kind=lesion_kind_for(opts["diagnosis"]),
            **params,
        )
        out = io.BytesIO()
        jpeg = opts["out"].suffix.lower() in (".jpg", ".jpeg")
        Image.fromarray(result.image).save(out, format="JPEG" if jpeg else "PNG", quality=95)
        opts["out"].write_bytes(out.getvalue())
        return result

    def _template(self, ref: str):
        from synthesis.ml.tone_transfer import StyleTemplate as MLTemplate

        path = Path(ref)
        if path.suffix and path.is_file():
            return MLTemplate.from_patch(decode_rgb(path.read_bytes()), name=path.name)
        if path.suffix:
            raise ValidationError(gettext("No such template file: %(path)s") % {"path": ref})
        return style_template_to_ml(template_lookup(ref))

    def _style_for(self, target):
        rows = StyleTemplate.objects.active()
        if target.kind == "fitzpatrick":
            rows = StyleTemplate.objects.for_fitzpatrick(target.fitzpatrick)
        candidates = list(rows)
        if not candidates:
            raise ValidationError(
                gettext(
                    "The magenta backend needs a style template for this target; run "
                    "load_style_templates or use --templates A B --alpha X."
                )
            )
        best = min(candidates, key=lambda t: abs(t.ita_deg - target.target_ita_deg))
        return style_template_to_ml(best)


def _is_number(text) -> bool:
    try:
        return np.isfinite(float(text))
    except (TypeError, ValueError):
        return False
