"""Management commands print in settings.LANGUAGE_CODE, as Django runs them, whatever the
shell's LANG says; PIXGEN_LANGUAGE_CODE sets it (README, "Command line")."""

import os
import subprocess
import sys

import pytest

from tests.i18n.catalogues import ROOT, compile_catalogues


def _command(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PIXGEN_LANGUAGE_CODE", "LANG", "LC_ALL")
    }
    environment.update(DJANGO_SETTINGS_MODULE="pixgen.settings.testing", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(autouse=True, scope="module")
def _compiled():
    compile_catalogues()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "--limit must be a positive number of images"),
        # The shell's locale does not change it: scripts and logs read the same everywhere.
        ({"LANG": "ja_JP.UTF-8"}, "--limit must be a positive number of images"),
        ({"PIXGEN_LANGUAGE_CODE": "ja"}, "--limit には 1 以上の画像数を指定してください"),
        ({"PIXGEN_LANGUAGE_CODE": "id"}, "--limit harus berupa jumlah gambar yang positif"),
    ],
)
def test_a_command_error_is_in_the_sites_language(env, expected):
    result = _command("remeasure_tone", "--limit", "0", **env)
    assert result.returncode != 0 and expected in result.stderr, result.stderr[-2000:]


def test_an_unknown_site_language_stops_start_up():
    result = _command("check", PIXGEN_LANGUAGE_CODE="fr")
    assert result.returncode != 0
    assert "PIXGEN_LANGUAGE_CODE='fr': use one of en, ja, id." in result.stderr
