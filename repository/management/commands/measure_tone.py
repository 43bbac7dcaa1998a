import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from PIL import Image

from repository.imaging import ImageRejected, decode_mask, decode_rgb
from synthesis.ml.skin_tone import MODALITIES, measure_skin_tone


class Command(BaseCommand):
    help = (
        "Measure the healthy skin's tone (ITA, CIELAB, melanin index, Fitzpatrick and Monk "
        "estimates with their confidence, or 'not gradable' with the reasons); prints one "
        "JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--image", required=True, type=Path)
        parser.add_argument(
            "--mask",
            type=Path,
            help="lesion mask PNG, white on black, the image's size (found when omitted)",
        )
        parser.add_argument(
            "--modality",
            choices=MODALITIES,
            default="dermoscopic",
            help="clinical photographs and dermoscopic images are measured differently",
        )

    def handle(self, *args, **opts):
        try:
            rgb = decode_rgb(opts["image"].read_bytes())
            mask = None
            if opts["mask"]:
                mask = decode_mask(opts["mask"].read_bytes(), size=(rgb.shape[1], rgb.shape[0]))
            tone = measure_skin_tone(rgb, modality=opts["modality"], lesion_mask=mask)
        except FileNotFoundError as exc:
            raise CommandError(gettext("No such file: %(path)s") % {"path": exc.filename}) from None
        except IsADirectoryError as exc:
            raise CommandError(gettext("Not a file: %(path)s") % {"path": exc.filename}) from None
        except (ImageRejected, ValueError, OSError, Image.DecompressionBombError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(tone.as_dict()))
