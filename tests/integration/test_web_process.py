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
