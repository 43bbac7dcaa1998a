"""Citable releases: DataCite metadata (JSON, schema 4.5, validated with the JSON schema that the
`datacite` package on PyPI ships) ready to register a DOI, and a CITATION.cff (Citation File
Format 1.2.0) for the archive. Plain Python, no Django."""

import datetime as dt
import json
from dataclasses import dataclass, field

from datacite import schema45

from repository.exporting.licences import LICENCE_NAMES

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
KEYWORDS = ["dermatology", "skin of colour", "Fitzpatrick skin type", "skin lesions", "dermoscopy"]
DESCRIPTION = (
    "Dermatology images on darker skin (Fitzpatrick IV-VI) contributed by verified clinicians, "
    "with labelled synthetic augmentations that dermatologists reviewed before publication."
)


@dataclass(frozen=True)
class Citable:
    """What a release says about itself, for DataCite and CITATION.cff."""

    title: str
    version: str  # the release tag
    published: dt.datetime
    url: str
    creators: tuple[str, ...] = ()  # contributors' display names, sorted
    licences: tuple[str, ...] = ()  # SPDX identifiers
    doi: str = ""  # "10.xxxx/…" once a prefix is configured
    previous_url: str = ""
    previous_doi: str = ""
    item_count: int = 0
    size_bytes: int | None = None
    formats: tuple[str, ...] = ("application/zip",)
    notes: str = ""
    counts: dict = field(default_factory=dict)


def _rights(licence: str) -> dict:
    name, url = LICENCE_NAMES.get(licence, (licence, ""))
    out = {"rights": name, "rightsIdentifier": licence, "rightsIdentifierScheme": "SPDX"}
    if url:
        out.update(rightsUri=url, schemeUri="https://spdx.org/licenses/")
    return out


def datacite_metadata(c: Citable) -> dict:
    creators = [{"name": "PixGen", "nameType": "Organizational"}]
    creators += [{"name": name} for name in c.creators]
    data = {
        "schemaVersion": SCHEMA_VERSION,
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Image dataset"},
        "creators": creators,
        "titles": [{"title": c.title, "lang": "en"}],
        "publisher": {"name": "PixGen"},
        "publicationYear": str(c.published.year),
        "version": c.version,
        "url": c.url,
        "language": "en",
        "dates": [{"date": c.published.date().isoformat(), "dateType": "Issued"}],
        "subjects": [{"subject": k} for k in KEYWORDS],
        "rightsList": [_rights(lic) for lic in c.licences],
        "descriptions": [{"description": DESCRIPTION, "descriptionType": "Abstract"}],
        "alternateIdentifiers": [
            {"alternateIdentifier": c.url, "alternateIdentifierType": "URL"},
            {"alternateIdentifier": f"pixgen-{c.version}", "alternateIdentifierType": "Local"},
        ],
        "sizes": [f"{c.item_count} images"],
        "formats": list(c.formats),
    }
    if c.size_bytes is not None:
        data["sizes"].append(f"{c.size_bytes} bytes")
    if c.notes:
        data["descriptions"].append({"description": c.notes, "descriptionType": "Other"})
    if c.doi:
        prefix, _slash, suffix = c.doi.partition("/")
        data.update(doi=c.doi, prefix=prefix, suffix=suffix)
    if c.previous_doi or c.previous_url:
        data["relatedIdentifiers"] = [
            {
                "relatedIdentifier": c.previous_doi or c.previous_url,
                "relatedIdentifierType": "DOI" if c.previous_doi else "URL",
                "relationType": "IsNewVersionOf",
            }
        ]
    return data


def datacite_errors(data: dict) -> list[str]:
    """Every way `data` breaks the DataCite 4.5 JSON schema (empty when valid)."""
    validator = schema45.validator
    return [
        f"{'/'.join(str(p) for p in error.path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    ]


def datacite_json(c: Citable) -> str:
    data = datacite_metadata(c)
    errors = datacite_errors(data)
    if errors:
        raise ValueError("DataCite metadata is not schema-valid: " + "; ".join(errors))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(c: Citable) -> str:
    lines = [
        "cff-version: 1.2.0",
        f"message: {_yaml('If you use this data set, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml(c.title)}",
        f"version: {_yaml(c.version)}",
        f"date-released: {c.published.date().isoformat()}",
        f"url: {_yaml(c.url)}",
        f"abstract: {_yaml(DESCRIPTION)}",
        "authors:",
        f"  - name: {_yaml('PixGen')}",
    ]
    lines += [f"  - name: {_yaml(name)}" for name in c.creators]
    if c.doi:
        lines.append(f"doi: {_yaml(c.doi)}")
    if len(c.licences) == 1:
        lines.append(f"license: {_yaml(c.licences[0])}")
    elif c.licences:
        lines.append("license:")
        lines += [f"  - {_yaml(lic)}" for lic in c.licences]
    lines.append("keywords:")
    lines += [f"  - {_yaml(k)}" for k in KEYWORDS]
    return "\n".join(lines) + "\n"


def _bib(text: str) -> str:
    """BibTeX-safe text: its special characters escaped, braces balanced by escaping them."""
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
    ):
        text = text.replace(char, escaped if char != "\\" else "\x00")
    return text.replace("\x00", r"\textbackslash{}")


def citation_bibtex(citable: Citable) -> str:
    """A @misc entry; each creator is braced so a name is never split into first and last."""
    key = "pixgen_" + "".join(c if c.isalnum() else "_" for c in citable.version)
    authors = " and ".join("{" + _bib(name) + "}" for name in citable.creators)
    fields = [
        ("title", "{" + _bib(citable.title) + "}"),
        ("author", authors or "{PixGen contributors}"),
        ("year", str(citable.published.year)),
        ("version", _bib(citable.version)),
        ("publisher", "PixGen"),
        ("url", citable.url),
    ]
    if citable.doi:
        fields.append(("doi", citable.doi))
    if citable.licences:
        fields.append(("note", _bib("Licences: " + ", ".join(citable.licences))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"
