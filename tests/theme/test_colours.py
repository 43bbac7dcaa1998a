"""Colours come from the CSS custom properties of site.css, so every page follows the theme."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "static" / "pixgen" / "site.css").read_text()
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b")
NAMED = re.compile(r"(?<![-\w])(?:white|black|grey|gray)(?![-\w])")
STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)
STYLE_ATTR = re.compile(r'(?:style|fill|stroke|color|bgcolor)="([^"]*)"')


def _palette_blocks() -> list[str]:
    return re.findall(r':root(?:\[data-theme="(?:dark|system)"\])?\s*{[^}]*}', CSS)


def test_site_css_names_colours_only_in_its_palettes():
    outside = CSS
    for block in _palette_blocks():
        outside = outside.replace(block, "")
    outside = re.sub(r"/\*.*?\*/", "", outside, flags=re.S)
    assert HEX.findall(outside) == [] and NAMED.findall(outside) == []


def test_both_dark_palettes_are_the_same():
    """Chosen dark and system dark are written twice in site.css; they must not drift apart."""
    light, chosen, system = _palette_blocks()

    def values(block):
        return sorted(re.findall(r"(--[\w-]+):\s*([^;]+);", block))

    assert values(chosen) == values(system)
    assert [name for name, _ in values(chosen)] == [name for name, _ in values(light)]


def test_templates_use_the_colour_variables():
    literal = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        styles = STYLE_BLOCK.findall(text) + STYLE_ATTR.findall(text)
        for style in styles:
            literal += [f"{path.relative_to(ROOT)}: {c}" for c in HEX.findall(style)]
            literal += [f"{path.relative_to(ROOT)}: {c}" for c in NAMED.findall(style)]
    assert not literal, "use var(--…) from static/pixgen/site.css:\n" + "\n".join(literal)


def test_images_are_never_filtered_or_inverted():
    sheets = [CSS] + [p.read_text() for p in (ROOT / "templates").rglob("*.html")]
    assert not any(re.search(r"filter\s*:|invert\(", sheet) for sheet in sheets)
