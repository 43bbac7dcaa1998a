"""Finds user-visible text in Django templates that is not marked for translation.

Text is user-visible when it is an HTML text node or the value of an attribute people read
(alt, title, placeholder, aria-label, aria-description, label, value of a button/submit).
Everything inside template tags, variables, comments, <script>, <style> and translation blocks
is skipped; so are tokens that read the same in every language (names, units, symbols).
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Words that are the same in every language: product and format names, units, codes.
LANGUAGE_NEUTRAL = {
    "PixGen",
    "SHA-256",
    "SHA256SUMS",
    "ITA",
    "API",
    "REST",
    "JSON",
    "CSV",
    "ZIP",
    "SSIM",
    "AUC",
    "ECE",
    "FID",
    "DCGAN",
    "U-Net",
    "CIELAB",
    "OpenAPI",
    "Croissant",
    "HAM10000",
    "ISIC",
    "L*",
    "a*",
    "b*",
    "px",
    "ms",
    "MB",
    "κ",
    "n",
    "s",
    "ch",
    "α",
    "uid",
    "image_id",
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
}
# Code, keys and program output read the same in every language.
RAW_TAGS = {"script", "style", "code", "kbd", "pre", "samp"}
READABLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}

_TRANSLATION_BLOCK = re.compile(
    r"{%-?\s*(blocktrans|blocktranslate)\b.*?{%-?\s*(endblocktrans|endblocktranslate)\s*-?%}",
    re.S,
)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
_TAG = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_PLACEHOLDER = "\x00"
_LETTERS = re.compile(r"[^\W\d_]", re.U)


@dataclass(frozen=True)
class Finding:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def _blank(match: re.Match) -> str:
    """Replace template syntax by a placeholder, keeping line numbers."""
    return _PLACEHOLDER + "\n" * match.group(0).count("\n")


def _needs_translation(text: str) -> str | None:
    words = [w for w in text.replace(_PLACEHOLDER, " ").split() if _LETTERS.search(w)]
    words = [w.strip(".,:;()[]·—–-/|×%#'\"!?=…") for w in words]
    words = [w for w in words if w and w not in LANGUAGE_NEUTRAL and _LETTERS.search(w)]
    return " ".join(words) if words else None


class _Scanner(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.findings: list[Finding] = []
        self.raw = 0  # depth inside <script>/<style>

    def handle_starttag(self, tag, attrs):
        if tag in RAW_TAGS:
            self.raw += 1
        attrs = dict(attrs)
        readable = set(READABLE_ATTRIBUTES)
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            readable.add("value")
        for key, value in attrs.items():
            if key in readable and value and (text := _needs_translation(value)):
                self.findings.append(Finding(self.name, self.getpos()[0], f"{key}={text}"))

    def handle_endtag(self, tag):
        if tag in RAW_TAGS and self.raw:
            self.raw -= 1

    def handle_data(self, data):
        if not self.raw and (text := _needs_translation(data)):
            self.findings.append(Finding(self.name, self.getpos()[0], text))


def scan_source(source: str, name: str = "<template>") -> list[Finding]:
    for pattern in (_COMMENT_BLOCK, _TRANSLATION_BLOCK, _TAG):
        source = pattern.sub(_blank, source)
    scanner = _Scanner(name)
    scanner.feed(source)
    scanner.close()
    return scanner.findings


def scan_templates(root: Path) -> list[Finding]:
    findings = []
    for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
        findings += scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return findings
