from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from repository.models import LesionImage
from repository.services.near_duplicates import fingerprints_backfill
from synthesis.models import SyntheticImage


class Command(BaseCommand):
    help = (
        "Fingerprint the images that have no perceptual fingerprint yet (images stored before "
        "near-duplicate detection, synthetic images) and record the near-duplicate pairs they form."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--origin", choices=("real", "synthetic", "both"), default="both", help="which images"
        )

    def handle(self, *args, **opts):
        done = {}
        if opts["origin"] in ("real", "both"):
            ids = LesionImage.objects.exclude(
                status__in=[LesionImage.Status.REJECTED, LesionImage.Status.WITHDRAWN]
            ).values_list("pk", flat=True)
            done["real"] = fingerprints_backfill(
                origin="real", ids=ids, open_file=lambda n: default_storage.open(n, "rb")
            )
        if opts["origin"] in ("synthetic", "both"):
            ids = SyntheticImage.objects.exclude(status=SyntheticImage.Status.REJECTED).values_list(
                "pk", flat=True
            )
            done["synthetic"] = fingerprints_backfill(
                origin="synthetic", ids=ids, open_file=lambda n: default_storage.open(n, "rb")
            )
        for origin, n in done.items():
            self.stdout.write(
                gettext("%(origin)s: %(n)s image(s) fingerprinted") % {"origin": origin, "n": n}
            )
