from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from repository.imaging import ImageRejected, decode_rgb, encode_mask
from synthesis.services.segmenters import segmenter_get


class Command(BaseCommand):
    help = "Segment the lesion in an image file and write a mask PNG (lesion white)."

    def add_arguments(self, parser):
        parser.add_argument("--image", required=True, type=Path)
        parser.add_argument("--out", required=True, type=Path, help="mask PNG to write")
        parser.add_argument(
            "--model",
            default="default",
            help="classical, latest, best, a version such as unet-0003, or default "
            "(the best trained model, else classical)",
        )

    def handle(self, *args, **opts):
        try:
            segmenter = segmenter_get(opts["model"])
            rgb = decode_rgb(opts["image"].read_bytes())
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {exc.filename}") from None
        except (ImageRejected, OSError, ValueError) as exc:
            raise CommandError(f"{opts['image']} is not an image PixGen can read: {exc}") from None
        mask = segmenter.segment(rgb)
        try:
            opts["out"].write_bytes(encode_mask(mask))
        except OSError as exc:
            raise CommandError(f"Cannot write {opts['out']}: {exc}") from None
        share = 100 * float(mask.mean())
        self.stdout.write(f"{opts['out']}: lesion {share:.1f}% of the image ({segmenter.version})")
