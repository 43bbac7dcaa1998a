"""Contributors' text inside the Markdown files of an archive (LICENSES.md, README.md): shown as
the text it is, never as markup a viewer would run or render (HTML, links, headings, tables).
Plain Python, no Django."""

import re

# Inline markup a renderer acts on anywhere in a line; the rest of Markdown's punctuation only
# matters at the start of a line, and md_text never starts one.
_INLINE = re.compile(r"([\\`*\[\]|~#])")
# An underscore inside a word (dr_ade) is never emphasis in CommonMark: left as it is.
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_text(value) -> str:
    """One line of literal text: line breaks become spaces (no new heading, list or table row),
    HTML is shown as text (not run), and emphasis, links and table cells are escaped."""
    text = " ".join(str(value if value is not None else "").split())
    text = _UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\1", text))
    return re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], text)


def md_paragraphs(value) -> str:
    """Several paragraphs of literal text (a release's notes): blank lines kept, each paragraph
    escaped as by md_text."""
    paragraphs = re.split(r"\n\s*\n", str(value or "").strip())
    return "\n\n".join(md_text(p) for p in paragraphs if p.strip())
