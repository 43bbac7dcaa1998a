"""Words must be translated when a page is drawn, not once when a module is imported: a
non-lazy gettext or an f-string over lazy text at import time freezes English for every reader.
Templates give dates in the reader's locale (named formats), never a fixed calendar pattern."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from tests.i18n.catalogues import ROOT

NON_LAZY = {"gettext", "ngettext", "pgettext", "npgettext"}
SOURCE_DIRS = ("repository", "synthesis", "pixgen")
# `|date:"…"` with a day, month or year letter and no named format: a fixed calendar pattern.
FIXED_DATE = re.compile(r'\|date:"(?![A-Z_]+")[^"]*[dDjmMnNyYFbEoPrcU][^"]*"')


def import_time_translations(source: str) -> list[int]:
    """Lines where a non-lazy gettext runs at import time (outside any function)."""
    tree = ast.parse(source)
    names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in NON_LAZY
    }
    found = []

    def visit(node, in_function):
        in_function = in_function or isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        if (
            not in_function
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in names
        ):
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, in_function)

    visit(tree, False)
    return found


def test_the_scanner_sees_a_translation_at_import_time():
    source = (
        "from django.utils.translation import gettext as _\n"
        "LABEL = _('Frozen')\n"
        "def later():\n"
        "    return _('Fine')\n"
    )
    assert import_time_translations(source) == [2]


def test_no_module_translates_at_import_time():
    offenders = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line in import_time_translations(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, "use gettext_lazy for module-level text:\n" + "\n".join(offenders)


def test_templates_use_named_date_formats():
    assert FIXED_DATE.search('{{ x|date:"Y-m-d H:i" }}')
    assert not FIXED_DATE.search('{{ x|date:"SHORT_DATETIME_FORMAT" }} {{ x|date:"H:i:s" }}')
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted(Path(ROOT / "templates").rglob("*.html"))
        for match in FIXED_DATE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "use SHORT_DATETIME_FORMAT or DATE_FORMAT:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("language", "meaning", "source", "metric"),
    [
        ("ja", "常に赤くなり", "画像を提供した臨床医", "条件付き色調忠実度"),
        ("id", "selalu terbakar", "Klinisi penyumbang", "Kesesuaian warna kulit kondisional"),
    ],
)
def test_module_level_labels_follow_the_reader(language, meaning, source, metric):
    from repository.forms import ImageMetadataFields
    from repository.views.tone import SOURCE_LABELS
    from synthesis.views.gans import METRIC_ROWS

    with translation.override(language):
        fitzpatrick = [
            str(label) for _n, label in ImageMetadataFields().fields["fitzpatrick"].choices
        ]
        assert fitzpatrick[0].startswith("I — ") and meaning in fitzpatrick[0]
        assert str(SOURCE_LABELS["clinician"]) == source
        assert str(dict(METRIC_ROWS)["tone_fidelity"]) == metric
    with translation.override("en"):
        assert str(SOURCE_LABELS["clinician"]) == "Contributing clinician"
