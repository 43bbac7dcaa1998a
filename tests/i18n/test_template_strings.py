"""Every piece of text a person reads in a template is marked for translation."""

from pathlib import Path

from tests.i18n.template_scanner import scan_source, scan_templates

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_template_text_is_marked_for_translation():
    findings = scan_templates(TEMPLATES)
    assert not findings, "text not marked for translation:\n" + "\n".join(map(str, findings))


def test_scanner_flags_an_unmarked_text_node():
    findings = scan_source("{% load i18n %}<p>{% translate 'Hello' %}</p>\n<h2>Open requests</h2>")
    assert [(f.line, f.text) for f in findings] == [(2, "Open requests")]


def test_scanner_flags_an_unmarked_readable_attribute_and_submit_value():
    source = '<img src="x.png" alt="Lesion {{ n }}"><input type="submit" value="Send">'
    assert [f.text for f in scan_source(source)] == ["alt=Lesion", "value=Send"]


def test_scanner_accepts_marked_text_code_and_neutral_tokens():
    source = (
        "{% load i18n %}<h1>{% blocktranslate with n=3 %}{{ n }} images{% endblocktranslate %}"
        "</h1><p>PixGen · SHA-256 · {{ image.code }} — 12 px</p>"
        "<p><code>Authorization: Token</code> <kbd>Enter</kbd></p>"
        '<img alt="{% translate "lesion" %}"><script>const s = "step";</script>'
        "{# a comment #}{% comment %}Not shown{% endcomment %}"
    )
    assert scan_source(source) == []
