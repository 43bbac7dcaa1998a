"""Recount the gallery's facet counts (the CatalogueCount cells) from the images, or check them."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from repository.services.catalogue_counts import (
    catalogue_counts_rebuild,
    catalogue_counts_recount,
    catalogue_counts_stored,
)


class Command(BaseCommand):
    help = (
        "Recount the facet counts the gallery reads (the services keep them as images are "
        "published, withdrawn, reviewed or relabelled; run this after writing rows by other "
        "means, such as SQL). --check compares them with a recount and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the stored counts with a recount; exit 1 if any differs",
        )

    def handle(self, *args, check=False, **options):
        started = time.monotonic()
        if check:
            stored, recount = catalogue_counts_stored(), catalogue_counts_recount()
            wrong = sorted(set(stored) | set(recount), key=str)
            wrong = [cell for cell in wrong if stored.get(cell, 0) != recount.get(cell, 0)]
            if wrong:
                for cell in wrong[:20]:
                    given, given_value, origin, facet, value = cell
                    where = f" among {given}={given_value}" if given else ""
                    self.stderr.write(
                        f"{origin} {facet}={value}{where}: stored {stored.get(cell, 0)}, "
                        f"counted {recount.get(cell, 0)}"
                    )
                raise CommandError(
                    gettext("%(n)s facet counts differ from a recount.") % {"n": len(wrong)}
                )
            self.stdout.write(
                gettext("%(n)s facet counts match a recount (%(seconds)s s).")
                % {"n": len(recount), "seconds": f"{time.monotonic() - started:.1f}"}
            )
            return
        cells = catalogue_counts_rebuild()
        self.stdout.write(
            gettext("Recounted %(n)s facet counts in %(seconds)s s.")
            % {"n": cells, "seconds": f"{time.monotonic() - started:.1f}"}
        )
