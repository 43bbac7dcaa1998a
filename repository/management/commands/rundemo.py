import logging
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

WORKER_LOG, WEB_LOG, SWEEP_LOG = "worker.log", "web.log", "sweep.log"
JOBS_TIMEOUT_S = 300
SITE_TIMEOUT_S = 60
# The first page a fresh web server renders can take seconds on a busy machine: a probe that
# gave up after 2 s could miss a site that answers, every time, until SITE_TIMEOUT_S.
PROBE_TIMEOUT_S = 15


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def site_url(addr: str) -> str:
    host, _sep, port = addr.rpartition(":")
    host = host or "127.0.0.1"
    return f"http://{host}:{port}/"


def _probe_url(addr: str) -> str:
    host, _sep, port = addr.rpartition(":")
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}/"


def site_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (urllib.error.URLError, OSError):
        return False


class Command(BaseCommand):
    help = (
        "Migrate, load the demo, start a Celery worker and the web server, run the demo's "
        "synthesis loop on the worker, then print the accounts once the site answers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-demo-data", action="store_true")

    def handle(self, *args, **opts):
        # kombu warns that the filesystem broker has no host name: true, and noise here.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        self._started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self._phase(gettext("Database migrated, static files collected"))
        logs = Path(settings.VAR_DIR) / "log"
        logs.mkdir(parents=True, exist_ok=True)
        procs: list[subprocess.Popen] = []
        interrupted = False
        # `kill`, a service manager or a container stop sends SIGTERM, not Ctrl-C's SIGINT:
        # left to Python's default it ends this process at once and the worker, the web server
        # and the sweep live on without it. Treated as Ctrl-C, they are stopped below.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            # The worker and the web server start before the demo is loaded: they start up while
            # it loads, and the worker analyses each demo image as soon as it is imported.
            procs.append(self._start(self._worker_command(), logs / WORKER_LOG))
            web = [sys.executable, "manage.py", "runserver", opts["addr"], "--noreload"]
            procs.append(self._start(web, logs / WEB_LOG))
            # Sends jobs that waited for the broker or lost their worker (the job harness).
            sweep = [sys.executable, "manage.py", "sweep_jobs", "--loop"]
            procs.append(self._start(sweep, logs / SWEEP_LOG))
            self.stdout.write(
                gettext("Worker and web server starting (logs in %(path)s/).") % {"path": logs}
            )
            token = None
            if not opts["no_demo_data"]:
                self._load_demo()
                token = self._demo_loop(procs)
            self._wait_for_site(opts["addr"], procs, logs)
            self._phase(gettext("The site answers"))
            self._print_accounts(token, opts["addr"], demo=not opts["no_demo_data"])
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # Whatever ended the loop (Ctrl-C or SIGTERM, one process dying, an error here),
            # stop them all.
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not interrupted:
            names = ("worker", "web", "sweep")
            codes = dict(zip(names, (p.returncode for p in procs), strict=False))
            raise CommandError(
                gettext(
                    "The demo stopped because a process ended: exit codes %(codes)s (logs in "
                    "%(path)s/)."
                )
                % {"codes": codes, "path": logs}
            )

    def _phase(self, what: str) -> None:
        """One line per start-up phase, with the time since the command started."""
        seconds = round(time.monotonic() - self._started)
        self.stdout.write(
            gettext("%(phase)s (%(seconds)s s since start).") % {"phase": what, "seconds": seconds}
        )

    def _load_demo(self) -> None:
        # The style templates below run torch here, beside the worker's two processes on the
        # same cores: one thread, as each worker process has (PIXGEN_WORKER_THREADS).
        import torch

        torch.set_num_threads(1)
        call_command("load_demo", no_accounts=True)
        self._phase(gettext("Demo data loaded"))

    def _worker_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pixgen",
            "worker",
            "--loglevel=INFO",
            "-Q",
            "default,training",
            "--concurrency=2",
            "--hostname=demo@%h",
        ]

    def _start(self, command: list[str], log: Path) -> subprocess.Popen:
        # Their output goes to a log, so that the accounts stay the last thing on the console.
        with open(log, "ab") as out:
            return subprocess.Popen(
                command, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT
            )

    def _demo_loop(self, procs) -> str:
        from repository.models import User
        from repository.services.demo import DEMO_REVIEWERS, demo_researcher_token
        from synthesis.models import GanModel
        from synthesis.services.demo_gan import DEMO_GAN_VERSION
        from synthesis.services.demo_loop import (
            demo_jobs_start,
            demo_jobs_wait,
            demo_reviews_apply,
        )

        moderator = User.objects.get(username="moderator")
        gan = GanModel.objects.ready().filter(version=DEMO_GAN_VERSION).first()
        jobs = demo_jobs_start(moderator=moderator, gan_model=gan)
        self.stdout.write(gettext("Demo jobs on the worker (tone transfer to IV–VI, generation):"))

        def report(state: str) -> None:
            if any(proc.poll() is not None for proc in procs):
                raise CommandError(gettext("The worker or the web server stopped during start-up."))
            self.stdout.write(f"  {state}")

        if not demo_jobs_wait(jobs, timeout_s=JOBS_TIMEOUT_S, report=report):
            self.stdout.write(
                "  "
                + gettext("Some demo jobs are still running; their outputs join the review queue.")
            )
        self._phase(gettext("Demo jobs done"))
        reviewers = list(User.objects.filter(username__in=DEMO_REVIEWERS).order_by("username"))
        counts = demo_reviews_apply(reviewers=reviewers, moderator=moderator)
        self.stdout.write(
            gettext(
                "Demo reviews by %(reviewers)s: %(approved)s synthetic images published, "
                "%(rejected)s rejected, %(pending)s waiting in the review queue."
            )
            % {
                "reviewers": ", ".join(r.username for r in reviewers),
                "approved": counts.approved,
                "rejected": counts.rejected,
                "pending": counts.pending,
            }
        )
        return demo_researcher_token(researcher=User.objects.get(username="researcher"))

    def _wait_for_site(self, addr: str, procs, logs: Path) -> None:
        url, deadline = _probe_url(addr), time.monotonic() + SITE_TIMEOUT_S
        while not site_answers(url):
            if any(proc.poll() is not None for proc in procs):
                raise CommandError(
                    gettext("The web server or the worker stopped; see %(path)s/.") % {"path": logs}
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    gettext("The site did not answer at %(url)s within %(seconds)s s; see %(log)s.")
                    % {"url": url, "seconds": SITE_TIMEOUT_S, "log": logs / WEB_LOG}
                )
            time.sleep(0.3)

    def _print_accounts(self, token: str | None, addr: str, *, demo: bool) -> None:
        from repository.services.demo import DEMO_ACCOUNTS

        if demo:
            self.stdout.write("")
            self.stdout.write(gettext("Demo accounts (username / password — role):"))
            for spec in DEMO_ACCOUNTS:
                self.stdout.write(f"  {spec.username:<11} / {spec.password:<18} — {spec.role}")
            url = site_url(addr)
            self.stdout.write(gettext("Researcher's API token: %(token)s") % {"token": token})
            self.stdout.write(f'  e.g. curl -H "Authorization: Token {token}" {url}api/v1/images/')
            mail = getattr(settings, "EMAIL_FILE_PATH", None)
            if mail and settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
                self.stdout.write(
                    gettext("E-mails the site sends are written to %(path)s/.") % {"path": mail}
                )
        self.stdout.write(
            self.style.SUCCESS(
                gettext("PixGen is at %(url)s (Ctrl-C stops the site and the worker)")
                % {"url": site_url(addr)}
            )
        )
