import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, load the demo, then run the web server and a Celery worker until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-demo-data", action="store_true")

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=1)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not opts["no_demo_data"]:
            call_command("load_demo")
        procs: list[subprocess.Popen] = []
        interrupted = False
        try:
            procs.append(
                subprocess.Popen(
                    [
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
                    ],
                    cwd=settings.BASE_DIR,
                )
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", opts["addr"], "--noreload"],
                    cwd=settings.BASE_DIR,
                )
            )
            # Sends jobs that waited for the broker or lost their worker (the job harness).
            procs.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "sweep_jobs", "--loop"], cwd=settings.BASE_DIR
                )
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"PixGen is at http://{opts['addr']}/ (Ctrl-C stops the site and the worker)"
                )
            )
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # Whatever ended the loop (Ctrl-C, one process dying, an error here), stop both.
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not interrupted:
            codes = dict(
                zip(("worker", "web", "sweep"), (p.returncode for p in procs), strict=False)
            )
            raise CommandError(f"The demo stopped because a process ended: exit codes {codes}.")
