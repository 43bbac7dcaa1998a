"""The API's human-readable errors follow Accept-Language while the field names that key them stay
the same; no error raised by a view or service carries English that gettext never sees."""

import ast
import re

import pytest

from tests.i18n.catalogues import ROOT

pytestmark = pytest.mark.django_db

# Exceptions whose message reaches a reader (a page, a form or an API response). CLI-only
# CommandError and internal ValueError are left out.
READER_FACING = {
    "ValidationError",
    "PermissionDenied",
    "Http404",
    "NotFound",
    "ParseError",
    "APIException",
    "NotAuthenticated",
    "AuthenticationFailed",
    "PermissionDeniedError",
}
TRANSLATORS = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext", "format_lazy"}
WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def untranslated_messages(source: str) -> list[int]:
    """Lines where a reader-facing exception is raised with English text outside gettext."""
    found = []

    def literals(node):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in TRANSLATORS:
                return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if WORDS.search(node.value):
                yield node
        elif isinstance(node, ast.JoinedStr):
            if any(isinstance(v, ast.Constant) and WORDS.search(str(v.value)) for v in node.values):
                yield node
            return
        for child in ast.iter_child_nodes(node):
            yield from literals(child)

    for node in ast.walk(ast.parse(source)):
        # A DRF permission's `message` is what a refused client reads.
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "message" for t in node.targets
        ):
            found.extend(n.lineno for n in literals(node.value))
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in READER_FACING:
            for argument in [*node.exc.args, *(k.value for k in node.exc.keywords)]:
                found.extend(n.lineno for n in literals(argument))
    return found


def test_the_scanner_sees_english_outside_gettext():
    source = (
        "raise ValidationError({'page': f'page is 1 to {n}.'})\n"
        "raise ValidationError({'page': _('page is 1 to %(n)s.') % {'n': n}})\n"
        "raise ValidationError(', '.join(bad))\n"
        "raise ValueError('internal detail')\n"
        "class Staff:\n"
        "    message = 'Jobs are for staff.'\n"
    )
    assert untranslated_messages(source) == [1, 6]


def test_no_view_or_service_raises_untranslated_english():
    offenders = []
    for folder in ("repository", "synthesis"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            skipped = {"migrations", "management", "ml"}
            if skipped & set(path.relative_to(ROOT).parts):
                continue
            for line in untranslated_messages(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, "wrap the message in gettext:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/images/?page_size=0", "page_size"),
        ("/api/v1/images/?fields=nonsense", "fields"),
        ("/api/v1/images/?ordering=diagnosis", "ordering"),
        ("/api/v1/requests/?status=lost", "status"),
        ("/api/v1/metadata.csv?layout=excel", "layout"),
    ],
)
def test_api_parameter_errors_follow_accept_language(client, url, field):
    english = client.get(url)
    japanese = client.get(url, headers={"accept-language": "ja"})
    indonesian = client.get(url, headers={"accept-language": "id"})
    assert english.status_code == japanese.status_code == indonesian.status_code == 400
    assert english.json().keys() == japanese.json().keys() == indonesian.json().keys() == {field}
    assert JAPANESE.search(str(japanese.json()[field]))
    assert str(indonesian.json()[field]) != str(english.json()[field])


def test_an_unbalanceable_export_is_refused_in_the_readers_language(clinician, moderator, client):
    from tests.repository.test_exports import make_catalogue

    make_catalogue(clinician, moderator)
    url = "/api/v1/exports/?origin=real&balance=5"
    english = client.get(url).json()["balance"]
    japanese = client.get(url, headers={"accept-language": "ja"}).json()["balance"]
    indonesian = client.get(url, headers={"accept-language": "id"}).json()["balance"]
    assert "up to 5" in str(english) and "akiec" in str(english)
    assert JAPANESE.search(str(japanese)) and "akiec" in str(japanese) and "5" in str(japanese)
    assert "akiec" in str(indonesian) and str(indonesian) != str(english)


def test_api_refusals_follow_accept_language(client, settings, clinician):
    settings.PIXGEN_API_ANONYMOUS = "none"
    refused = client.get("/api/v1/images/", headers={"accept-language": "ja"})
    assert refused.status_code in (401, 403)
    assert JAPANESE.search(refused.json()["detail"])
    client.force_login(clinician)
    jobs = client.get("/api/v1/jobs/", headers={"accept-language": "id"})
    assert jobs.status_code == 403
    assert jobs.json()["detail"] == "Tugas sintesis hanya untuk moderator dan peninjau."
