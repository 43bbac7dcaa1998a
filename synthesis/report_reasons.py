"""Why an audit or experiment has no number somewhere, or why a photograph's skin tone cannot be
graded, in the reader's language.

The reports and measurements (synthesis/ml, no Django) store the reason in English words with
its numbers; stored rows keep that form. Here each known sentence is read back into its numbers and
worded again through the catalogues; a sentence not known here is shown as it is."""

import re

from django.utils.translation import gettext, gettext_noop

REASONS = [
    (
        r"(?P<n>\d+) images, fewer than the (?P<min>\d+) needed for metrics with intervals",
        gettext_noop("%(n)s images, fewer than the %(min)s needed for metrics with intervals"),
    ),
    (
        r"(?P<n>\d+) images, fewer than the (?P<min>\d+) needed for an interval",
        gettext_noop("%(n)s images, fewer than the %(min)s needed for an interval"),
    ),
    (
        r"(?P<n>\d+) group\(s\) with enough images; 2 needed",
        gettext_noop("%(n)s group(s) with enough images; 2 needed"),
    ),
    (
        r"(?P<mal>\d+) malignant and (?P<ben>\d+) benign images; (?P<min>\d+) of each needed",
        gettext_noop("%(mal)s malignant and %(ben)s benign images; %(min)s of each needed"),
    ),
    (
        r"(?P<pos>\d+) positive and (?P<neg>\d+) negative images; at least (?P<min>\d+) of each "
        r"needed",
        gettext_noop(
            "%(pos)s positive and %(neg)s negative images; at least %(min)s of each needed"
        ),
    ),
    (
        r"(?P<n>\d+) group\(s\) with (?P<pos>\d+) positives and (?P<neg>\d+) negatives; 2 needed",
        gettext_noop("%(n)s group(s) with %(pos)s positives and %(neg)s negatives; 2 needed"),
    ),
    (
        r"metric undefined in (?P<k>\d+) of (?P<n>\d+) resamples",
        gettext_noop("metric undefined in %(k)s of %(n)s resamples"),
    ),
    (
        r"AUC needs both classes; have (?P<pos>\d+) positive, (?P<neg>\d+) negative",
        gettext_noop("AUC needs both classes; have %(pos)s positive, %(neg)s negative"),
    ),
    (
        r"needs both classes; have (?P<pos>\d+) positive, (?P<neg>\d+) negative",
        gettext_noop("needs both classes; have %(pos)s positive, %(neg)s negative"),
    ),
    ("no images", gettext_noop("no images")),
    (
        "one-vs-rest AUC needs at least two classes present",
        gettext_noop("one-vs-rest AUC needs at least two classes present"),
    ),
    (
        "no synthetic ratio besides the baseline",
        gettext_noop("no synthetic ratio besides the baseline"),
    ),
    ("too few images in every section", gettext_noop("too few images in every section")),
    ("undefined", gettext_noop("undefined")),
    # Skin-tone measurement (synthesis.ml.skin_tone.REASONS).
    (
        r"the image is too small to grade \(under (?P<min_side>\d+) px on a side\)",
        gettext_noop("the image is too small to grade (under %(min_side)s px on a side)"),
    ),
    (
        "the image is greyscale: skin tone cannot be read without colour",
        gettext_noop("the image is greyscale: skin tone cannot be read without colour"),
    ),
    (
        r"the image is nearly black: the skin is too dark to read \(underexposed\)",
        gettext_noop("the image is nearly black: the skin is too dark to read (underexposed)"),
    ),
    (
        "the image is blown out: too much of it is clipped white",
        gettext_noop("the image is blown out: too much of it is clipped white"),
    ),
    (
        r"too little healthy skin: (?P<pixels>\d+) pixels remain after leaving out the lesion, "
        r"its border, hair, glare, shadow and the background; at least (?P<needed>\d+) are "
        r"needed",
        gettext_noop(
            "too little healthy skin: %(pixels)s pixels remain after leaving out the lesion, its "
            "border, hair, glare, shadow and the background; at least %(needed)s are needed"
        ),
    ),
    (
        r"a heavy colour cast \((?P<cast>-?\d+) mired from daylight\) that no neutral reference "
        r"in the frame lets us correct",
        gettext_noop(
            "a heavy colour cast (%(cast)s mired from daylight) that no neutral reference in the "
            "frame lets us correct"
        ),
    ),
    (
        "no part of the image has a colour skin can have under plausible light",
        gettext_noop("no part of the image has a colour skin can have under plausible light"),
    ),
]
COMPILED = [(re.compile(f"^{pattern}$"), message) for pattern, message in REASONS]


def report_reason(text) -> str:
    """A stored English reason in the active language (unknown text unchanged)."""
    text = "" if text is None else str(text)
    for pattern, message in COMPILED:
        match = pattern.match(text)
        if match:
            return gettext(message) % match.groupdict() if match.groupdict() else gettext(message)
    return text
