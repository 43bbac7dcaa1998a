"""The web process starts without torch: only workers and commands load it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pixgen.settings.testing")
import django
django.setup()
from django.urls import get_resolver
import pixgen.urls  # every view, form, serializer and service a page can reach
get_resolver().url_patterns
loaded = sorted(m for m in ("torch", "torchvision") if m in sys.modules)
print("LOADED:" + ",".join(loaded))
"""


def test_importing_the_url_configuration_does_not_import_torch():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED:\n" in done.stdout, done.stdout


WSGI_PROBE = """
import gc, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "pixgen.settings.testing"
import pixgen.wsgi
frozen = gc.get_freeze_count()
print("FROZEN:%d" % frozen)
print("VIEWS:%d" % ("repository.views.images" in sys.modules))
print("TORCH:%d" % ("torch" in sys.modules))
"""


def test_the_wsgi_process_sets_its_start_up_objects_aside_from_the_garbage_collector():
    # pixgen.gc_tuning: the web process's slow requests were full collections walking every
    # object loaded at start-up; wsgi freezes them, with every view imported first.
    done = subprocess.run(
        [sys.executable, "-c", WSGI_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.split())
    assert int(lines["FROZEN"]) > 50_000, done.stdout
    assert lines["VIEWS"] == "1" and lines["TORCH"] == "0", done.stdout
