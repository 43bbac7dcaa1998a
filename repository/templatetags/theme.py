"""Pictures that come in a light and a dark version (server-drawn plots)."""

from django import template
from django.utils import translation
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def themed_plot(context, src: str, alt: str, element_id: str = "") -> str:
    """An <img> of the plot at `src` in the page's theme and language; when the theme follows the
    system, a <picture> lets the browser pick the dark version (`theme=dark`) for a dark system.
    The language is in the address, so a cached figure never shows another language's labels."""
    theme = context.get("theme", "system")
    joiner = "&" if "?" in src else "?"
    lang = f"lang={translation.get_language() or 'en'}"
    dark = f"{src}{joiner}theme=dark&{lang}"
    src = f"{src}{joiner}{lang}"
    id_attr = format_html(' id="{}"', element_id) if element_id else ""
    img = format_html(
        '<img class="plot" src="{}" alt="{}"{}>', dark if theme == "dark" else src, alt, id_attr
    )
    if theme != "system":
        return img
    return format_html(
        '<picture><source media="(prefers-color-scheme: dark)" srcset="{}">{}</picture>', dark, img
    )
