"""README.md of an archive: a datasheet saying what is in it, how it was made and its counts,
in the archive's language, with the same datasheet in each other language beside it
(README.ja.md, README.id.md, …)."""

import dataclasses
import json
import tomllib
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from repository.exporting.licences import LICENCE_NAMES
from repository.exporting.markdown import md_paragraphs, md_text
from repository.exporting.spec import ArchiveSpec, Tally
from synthesis.ml.fitzpatrick import DARKER, ROMAN, TYPES

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pixgen_version() -> str:
    try:
        return tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _matrix(tally: Tally) -> list[str]:
    diagnoses = sorted({dx for dx, _f in tally.cells})
    types = sorted({f for _dx, f in tally.cells})
    head = [_("diagnosis"), *(ROMAN.get(f, _("unlabelled")) for f in types), _("total")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for dx in diagnoses:
        cells = [tally.cells[(dx, f)] for f in types]
        lines.append("| " + " | ".join([md_text(dx), *map(str, cells), str(sum(cells))]) + " |")
    totals = [sum(tally.cells[(dx, f)] for dx in diagnoses) for f in types]
    total = "**" + _("total") + "**"
    lines.append("| " + " | ".join([total, *map(str, totals), str(tally.total)]) + " |")
    return lines


def readme(*, spec: ArchiveSpec, tally: Tally) -> str:
    """The datasheet in the spec's language (releases are always English: same bytes for all)."""
    with translation.override(spec.language):
        return _readme(spec=spec, tally=tally)


def readme_files(spec: ArchiveSpec) -> list[tuple[str, str]]:
    """(member name, language) of every datasheet: README.md in the spec's language, then
    README.<code>.md in each other language of the site."""
    others = [code for code, _name in settings.LANGUAGES if code != spec.language]
    return [("README.md", spec.language), *((f"README.{code}.md", code) for code in others)]


def readmes(*, spec: ArchiveSpec, tally: Tally) -> list[tuple[str, str]]:
    """(member name, text) of every datasheet of the archive."""
    return [
        (name, readme(spec=dataclasses.replace(spec, language=language), tally=tally))
        for name, language in readme_files(spec)
    ]


def contents_description(tally: Tally) -> str:
    """One sentence on whose skin the archive shows, from what is in it: a light-skin export
    does not claim to be a darker-skin one."""
    types = tally.skin_types()
    darker = sum(types[t] for t in DARKER)
    lighter = sum(types[t] for t in TYPES if t not in DARKER)
    if tally.total == 0:
        return _("An empty selection from PixGen: no images matched.")
    if darker == tally.total:
        return _("Dermatology images on darker skin (Fitzpatrick IV-VI) from PixGen.")
    if lighter == tally.total:
        return _("Dermatology images on lighter skin (Fitzpatrick I-III) from PixGen.")
    return _(
        "Dermatology images from PixGen: %(darker)s on darker skin (Fitzpatrick IV-VI), "
        "%(lighter)s on lighter skin (Fitzpatrick I-III)."
    ) % {"darker": darker, "lighter": lighter}


def skin_type_line(tally: Tally) -> str:
    types = tally.skin_types()
    parts = [f"{ROMAN[t]} {types[t]}" for t in TYPES]
    if types[0]:
        parts.append(_("not recorded %(n)s") % {"n": types[0]})
    return _("Images per Fitzpatrick type: %(parts)s.") % {"parts": ", ".join(parts)}


def _readme(*, spec: ArchiveSpec, tally: Tally) -> str:
    layout = {
        "flat": _("flat: every image under `images/`."),
        "imagefolder": _(
            "one folder per diagnosis, `images/<diagnosis>/` (loads with "
            "`torchvision.datasets.ImageFolder(root='images')`)."
        ),
    }[spec.layout]
    # Inside a code span nothing is markup but a backtick, which JSON can write as \u0060.
    filters = json.dumps(spec.filters, sort_keys=True).replace("`", "\\u0060")
    filters = filters if spec.filters else _("none")
    lines = [
        f"# {md_text(spec.title)}",
        "",
        contents_description(tally)
        + " "
        + _(
            "PixGen is an open repository where verified clinicians contribute de-identified "
            "images and synthetic images are published only after dermatologist review."
        ),
        "",
        "## " + _("What is in it"),
        "",
        "- " + skin_type_line(tally),
        "- "
        + _("%(total)s image(s): %(real)s real, %(synthetic)s synthetic; %(masks)s lesion mask(s).")
        % {
            "total": tally.total,
            "real": tally.origins["real"],
            "synthetic": tally.origins["synthetic"],
            "masks": tally.masks,
        },
        "- " + _("Layout: %(layout)s") % {"layout": layout},
        "- "
        + _(
            "`metadata.csv` and `metadata.jsonl`: one row per image (labels, provenance, file "
            "paths, SHA-256 of each file, augmentation parameters)."
        ),
        "- " + _("`LICENSES.md`: licences and credit lines, by licence and contributor."),
        "- "
        + _("This datasheet in the other languages: %(files)s.")
        % {"files": ", ".join(f"`{name}`" for name, _language in readme_files(spec)[1:])},
        "- "
        + _("`croissant.json`: Croissant 1.0 metadata; `SHA256SUMS`: `sha256sum -c SHA256SUMS`."),
        "",
        _(
            "**Synthetic images are labelled** (`origin` = `synthetic`, with method, backend, "
            "model version, seed and source image in the metadata) and each was **reviewed and "
            "approved by a dermatologist** before publication. Do not report them as clinical "
            "photographs."
        ),
        "",
        "## " + _("Counts per diagnosis and Fitzpatrick type"),
        "",
        *_matrix(tally),
        "",
        "## " + _("How it was made"),
        "",
        "- "
        + _("Created: %(when)s by PixGen %(version)s.")
        % {"when": spec.created_at.isoformat(), "version": spec.version or pixgen_version()},
        "- "
        + _(
            "Real images were de-identified at upload (re-encoded from pixels: no EXIF, GPS or "
            "other embedded data), checked by a moderator, and published with patient consent "
            "attested by the contributing clinician. Ages are 5-year bins."
        ),
        "- "
        + _(
            "Only public images are included: pending, rejected and withdrawn images, and "
            "synthetic images not approved in review (or whose source was withdrawn), are not."
        ),
        "- " + _("Filters: `%(filters)s`.") % {"filters": filters},
    ]
    if spec.augment:
        lines.append(
            "- "
            + _(
                "Augmentations: %(kinds)s with seed %(seed)s; the parameters of each image are "
                "in the `augmentation` column (same seed, same files)."
            )
            % {"kinds": ", ".join(spec.augment), "seed": spec.seed}
        )
    else:
        lines.append("- " + _("Augmentations: none (the stored images, unchanged)."))
    lines += ["", "## " + _("Licences"), ""]
    for licence in tally.licences:
        n = sum(sum(c.values()) for (lic, _c), c in tally.credits.items() if lic == licence)
        name = LICENCE_NAMES.get(licence, (licence,))[0]
        lines.append(
            "- "
            + _("%(name)s (%(code)s): %(n)s image(s)") % {"name": name, "code": licence, "n": n}
        )
    lines.append(
        "- " + _("See `LICENSES.md` for credit lines; some licences forbid commercial use.")
    )
    if spec.release_tag:
        lines += ["", "## " + _("Release %(tag)s") % {"tag": spec.release_tag}, ""]
        if spec.notes:
            lines += [md_paragraphs(spec.notes), ""]
        lines.append(_withdrawals(spec))
    if spec.cite_as:
        lines += ["", "## " + _("How to cite"), "", md_text(spec.cite_as)]
    return "\n".join(lines) + "\n"


def _withdrawals(spec: ArchiveSpec) -> str:
    if not spec.previous_release:
        return _("This is the first release.")
    if not spec.withdrawn:
        return _("No image of release %(tag)s has been withdrawn since.") % {
            "tag": spec.previous_release
        }
    rows = [
        _("Withdrawn since release %(tag)s (%(n)s); remove them from copies of earlier releases:")
        % {"tag": spec.previous_release, "n": len(spec.withdrawn)},
        "",
        "| uid | sha256 | " + _("why") + " |",
        "|---|---|---|",
    ]
    rows += [
        f"| {md_text(w['uid'])} | {md_text(w['sha256'])} | {md_text(w['reason'])} |"
        for w in spec.withdrawn
    ]
    return "\n".join(rows)
