"""Every message in the Japanese and Indonesian catalogues is translated, none is fuzzy, and the
catalogues hold every string marked in the source.

Always strict: a change that marks a new string lands with its Japanese and Indonesian
translations, or the suite fails (see README, "Languages and dark mode")."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.i18n.catalogues import LOCALE, ROOT, TRANSLATED_LANGUAGES, read_po

PLACEHOLDER = re.compile(r"%\(\w+\)(?:\.\d+)?[sdifr]|%[sdifr]|%%")


def _problems(language: str) -> list[str]:
    problems = []
    for entry in read_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.msgstr or not all(s.strip() for s in entry.msgstr):
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def _source_msgids(tmp_path) -> set[str]:
    """What `make makemessages` would extract today, from a scratch copy of the source."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "node_modules", "var", ".git", "*.jpg", "*.png", "*.mo", "tests", "bench"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location", "-v", "0"],
        cwd=copy,
        check=True,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="pixgen.settings.testing"),
    )
    return {e.msgid for e in read_po(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po")}


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    problems = _problems(language)
    assert not problems, f"{len(problems)} in {language}:\n" + "\n".join(problems[:50])


def test_catalogues_hold_every_marked_string(tmp_path):
    catalogued = {e.msgid for e in read_po(LOCALE / "ja" / "LC_MESSAGES" / "django.po")}
    missing = sorted(_source_msgids(tmp_path) - catalogued)
    assert not missing, "run `make makemessages` and translate:\n" + "\n".join(missing[:50])


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_translations_keep_every_placeholder(language):
    """A translation that drops or renames a %(name)s placeholder would crash or mislead."""
    wrong = []
    for entry in read_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        for text in entry.msgstr:
            if not text:
                continue
            # Japanese and Indonesian have one plural form: it may follow either English form.
            sources = [entry.msgid, entry.msgid_plural or entry.msgid]
            found = sorted(PLACEHOLDER.findall(text))
            if all(found != sorted(PLACEHOLDER.findall(source)) for source in sources):
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_untranslated_and_fuzzy_entries(tmp_path, monkeypatch):
    po = tmp_path / "xx" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Done"\nmsgstr "Selesai"\n\n'
        '#, fuzzy\nmsgid "Images"\nmsgstr "Gambar"\n\n'
        'msgid "Open"\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )
    monkeypatch.setattr("tests.i18n.test_catalogues.LOCALE", tmp_path)
    assert _problems("xx") == [
        "fuzzy: 'Images'",
        "untranslated: 'Open'",
        "untranslated: 'one'",
    ]
