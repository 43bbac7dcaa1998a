from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.imaging import ImageRejected, decode_rgb, encode_mask
from synthesis.ml.lesion_masks import MODALITIES
from synthesis.services.segmenters import lesion_mask_make


class Command(BaseCommand):
    help = (
        "Segment the lesion in an image file and write a mask PNG (lesion white). The mask is "
        "post-processed and checked; a failed check falls back to the other segmenter, and "
        "when every mask fails nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--image", required=True, type=Path)
        parser.add_argument("--out", required=True, type=Path, help="mask PNG to write")
        parser.add_argument(
            "--model",
            default="default",
            help="default (the shipped model, or a trained one that beat it), shipped, "
            "classical, best, latest or a version such as unet-0003",
        )
        parser.add_argument("--modality", default="dermoscopic", choices=MODALITIES)

    def handle(self, *args, **opts):
        try:
            rgb = decode_rgb(opts["image"].read_bytes())
        except FileNotFoundError as exc:
            raise CommandError(gettext("No such file: %(path)s") % {"path": exc.filename}) from None
        except (ImageRejected, OSError, ValueError) as exc:
            raise CommandError(
                gettext("%(path)s is not an image PixGen can read: %(error)s")
                % {"path": opts["image"], "error": exc}
            ) from None
        try:
            result = lesion_mask_make(rgb=rgb, modality=opts["modality"], model=opts["model"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        tried = ", ".join(f"{name}: {outcome}" for name, outcome in result.attempts)
        if result.mask is None:
            raise CommandError(
                gettext(
                    "No automatic mask passed the quality check (%(tried)s); this image needs a "
                    "mask drawn or uploaded by a person. Nothing was written."
                )
                % {"tried": tried}
            )
        try:
            opts["out"].write_bytes(encode_mask(result.mask))
        except OSError as exc:
            raise CommandError(
                gettext("Cannot write %(path)s: %(error)s") % {"path": opts["out"], "error": exc}
            ) from None
        share = 100 * float(result.mask.mean())
        self.stdout.write(
            gettext(
                "%(path)s: lesion %(share)s%% of the image, by %(segmenter)s (check: %(tried)s)"
            )
            % {
                "path": opts["out"],
                "share": f"{share:.1f}",
                "segmenter": result.segmenter,
                "tried": tried,
            }
        )
