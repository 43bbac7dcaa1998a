import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from repository.imaging import ImageRejected, decode_mask, decode_rgb
from synthesis.ml.skin_tone import measure_tone


class Command(BaseCommand):
    help = "Measure the healthy skin's ITA and estimated Fitzpatrick type; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--image", required=True, type=Path)
        parser.add_argument("--mask", type=Path, help="lesion mask PNG (computed when omitted)")

    def handle(self, *args, **opts):
        try:
            rgb = decode_rgb(opts["image"].read_bytes())
            mask = None
            if opts["mask"]:
                mask = decode_mask(opts["mask"].read_bytes(), size=(rgb.shape[1], rgb.shape[0]))
            tone = measure_tone(rgb, mask)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {exc.filename}") from None
        except (ImageRejected, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(tone.as_dict()))
