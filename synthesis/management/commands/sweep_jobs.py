import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection
from django.utils.translation import gettext

from synthesis.services.job_harness import jobs_sweep


class Command(BaseCommand):
    help = (
        "Send every job that waits for the broker, lost its message or lost its worker "
        "(synthesis jobs, exports, releases, image analyses). --loop keeps sweeping."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="sweep until stopped")
        parser.add_argument(
            "--every",
            type=int,
            default=settings.PIXGEN_JOB_SWEEP_SECONDS,
            help="seconds between sweeps with --loop (default PIXGEN_JOB_SWEEP_SECONDS)",
        )

    def handle(self, *args, **opts):
        while True:
            try:
                sent = jobs_sweep()
            except (OperationalError, InterfaceError) as exc:
                if not opts["loop"]:
                    raise CommandError(
                        gettext("The database is unreachable: %(error)s") % {"error": exc}
                    ) from None
                # The database restarted or dropped us: reconnect on the next sweep.
                connection.close()
                self.stderr.write(
                    gettext("sweep skipped, the database is unreachable: %(error)s")
                    % {"error": exc}
                )
                time.sleep(max(1, opts["every"]))
                continue
            if sent or not opts["loop"]:
                summary = ", ".join(f"{n} {name}" for name, n in sent.items()) or "nothing"
                self.stdout.write(f"dispatched: {summary}")
            if not opts["loop"]:
                return
            time.sleep(max(1, opts["every"]))
