from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.models import LesionImage
from repository.services.analysis import image_tone_remeasure, tone_stale_images
from synthesis.ml.skin_tone import METHOD_VERSION


class Command(BaseCommand):
    help = (
        "Measure the skin tone again with the current method for every analysed image measured "
        "by an older one (or every analysed image with --all), printing progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="re-measure every analysed image")
        parser.add_argument("--limit", type=int, help="stop after this many images")

    def handle(self, *args, **opts):
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError(gettext("--limit must be a positive number of images"))
        images = (
            LesionImage.objects.filter(analysis_status=LesionImage.AnalysisStatus.DONE)
            if opts["all"]
            else tone_stale_images()
        )
        ids = list(images.order_by("pk").values_list("pk", flat=True)[: opts["limit"]])
        total = len(ids)
        self.stdout.write(
            gettext("%(n)s images to measure with %(method)s")
            % {"n": total, "method": METHOD_VERSION}
        )
        counts = {"gradable": 0, "not gradable": 0, "flagged": 0, "failed": 0}
        for done, pk in enumerate(ids, start=1):
            try:
                image = image_tone_remeasure(image_id=pk)
            except (OSError, ValueError) as exc:  # a missing or unreadable file: go on
                counts["failed"] += 1
                self.stderr.write(f"#{pk}: {exc}")
                continue
            if image is None:
                continue
            counts["gradable" if image.tone_measurement["gradable"] else "not gradable"] += 1
            counts["flagged"] += int(image.tone_flagged)
            if done % 25 == 0 or done == total:
                self.stdout.write(
                    gettext("%(done)s/%(total)s measured") % {"done": done, "total": total}
                )
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(f"done: {summary}")
