"""Numbers of the experiment pages: signed effects with a true minus sign."""

from django import template

register = template.Library()


@register.filter
def signed(value, digits=3):
    """+0.040 / −0.010 (a real minus sign); an empty string for None."""
    if value is None or value == "":
        return ""
    text = f"{float(value):+.{int(digits)}f}"
    return text.replace("-", "\u2212")


@register.filter
def ratio(value):
    """3.0 -> 3, 0.5 -> 0.5."""
    return f"{float(value):g}"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)


@register.filter(name="report_reason")
def report_reason_filter(text) -> str:
    """Why a report has no number here, in the reader's language."""
    from synthesis.report_reasons import report_reason

    return report_reason(text)
