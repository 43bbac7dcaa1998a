"""PixGen's metadata in the ISIC Archive's vocabulary, both ways. Plain Python: the rules of the
vocabulary are the `isic-metadata` package's (pinned in requirements.txt), never re-written here;
this module only maps PixGen's own codes onto it and reports problems by row and column.

Out: `isic_row(row)` turns a catalogue row into the columns of an ISIC Archive metadata CSV
(ISIC_COLUMNS). In: `read_isic_csv(text)` reads an ISIC metadata CSV (as `isic metadata
download` writes it, or an ISIC upload CSV with `filename`) into PixGen metadata values."""

import csv
import io
from dataclasses import dataclass, field

from isic_metadata.fields import (
    AnatomSiteEnum,
    DiagnosisConfirmTypeEnum,
    DiagnosisEnum,
    ImageManipulationEnum,
    ImageTypeEnum,
)
from isic_metadata.metadata import MetadataRow, convert_errors
from pydantic import ValidationError

from synthesis.ml.fitzpatrick import ROMAN

BCC = "Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma"
# PixGen diagnosis code -> (the ISIC diagnosis written on export, the ISIC diagnoses that import
# as this code: a value imports as the code whose prefix it starts with, the longest winning).
DIAGNOSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "akiec": (
        "Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis",
        (
            "Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis",
            # HAM10000's akiec also holds intraepithelial carcinoma (Bowen's disease).
            "Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ",
        ),
    ),
    "bcc": (BCC, (BCC,)),
    "bkl": (
        "Benign:Benign epidermal proliferations",
        ("Benign:Benign epidermal proliferations",),
    ),
    "df": (
        "Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma",
        ("Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma",),
    ),
    "mel": (
        "Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS",
        ("Malignant:Malignant melanocytic proliferations (Melanoma)",),
    ),
    "nv": (
        "Benign:Benign melanocytic proliferations:Nevus",
        ("Benign:Benign melanocytic proliferations",),
    ),
    "vasc": (
        "Benign:Benign soft tissue proliferations - Vascular",
        ("Benign:Benign soft tissue proliferations - Vascular",),
    ),
    "keloid": (
        "Benign:Benign soft tissue proliferations - Fibro-histiocytic:Scar:Scar, Keloid",
        ("Benign:Benign soft tissue proliferations - Fibro-histiocytic:Scar:Scar, Keloid",),
    ),
    "pih": ("Benign:Flat melanotic pigmentations - not melanocytic nevus", ()),
    # ISIC's vocabulary is oncological: inflammatory diseases have one shared term, so these
    # export to it but an ISIC row with it cannot tell which PixGen code it is.
    **{
        code: ("Benign:Inflammatory or infectious diseases", ())
        for code in (
            "atopic-dermatitis",
            "psoriasis",
            "acne",
            "tinea",
            "urticaria",
            "lichen-planus",
            "pityriasis-rosea",
            "covid-rash",
        )
    },
    "vitiligo": ("Benign", ()),
}

# PixGen body site -> (anatom_site_general, anatom_site_special, hierarchical anatom_site)
BODY_SITES: dict[str, tuple[str, str, str]] = {
    "scalp": ("head/neck", "", "Head and neck:Head:Scalp"),
    "face": ("head/neck", "", "Head and neck:Head:Face"),
    "ear": ("head/neck", "", "Head and neck:Head:Ear"),
    "neck": ("head/neck", "", "Head and neck:Neck"),
    "chest": ("anterior torso", "", "Trunk:Anterior trunk:Anterior chest"),
    "abdomen": ("anterior torso", "", "Trunk:Anterior trunk:Anterior abdomen"),
    "back": ("posterior torso", "", "Trunk:Posterior trunk"),
    "trunk": ("", "", "Trunk"),
    "upper_extremity": ("upper extremity", "", "Upper extremity"),
    "hand": ("upper extremity", "", "Upper extremity:Hand"),
    "lower_extremity": ("lower extremity", "", "Lower extremity"),
    "foot": ("lower extremity", "", "Lower extremity:Foot"),
    "acral": ("palms/soles", "acral palms or soles", ""),
    "genital": ("oral/genital", "", "Anogenital region:Genital region"),
    "oral_mucosa": ("oral/genital", "oral or genital", "Head and neck:Head:Face:Mouth"),
    "nail": ("", "", ""),
    "unknown": ("", "", ""),
}

LICENCES = {"CC0-1.0": "CC-0", "CC-BY-4.0": "CC-BY", "CC-BY-NC-4.0": "CC-BY-NC"}
MODALITIES = {"dermoscopic": "dermoscopic", "clinical": "clinical: close-up"}
CONFIRMATIONS = {
    "histopathology": "histopathology",
    "follow_up": "serial imaging showing no change",
    "consensus": "single image expert consensus",
    "confocal": "confocal microscopy with consensus dermoscopy",
    "clinical": "single contributor clinical assessment",
}

ISIC_COLUMNS = [
    "isic_id",
    "filename",
    "attribution",
    "copyright_license",
    "age_approx",
    "sex",
    "anatom_site_general",
    "anatom_site_special",
    *(f"anatom_site_{i}" for i in range(1, 6)),
    *(f"diagnosis_{i}" for i in range(1, 6)),
    "diagnosis_confirm_type",
    "fitzpatrick_skin_type",
    "image_type",
    "image_manipulation",
    "lesion_id",
    "pixels_x",
    "pixels_y",
]


def isic_age(age_bin: int | None) -> int | None:
    """PixGen keeps 5-year bins; ISIC's age_approx is a multiple of 5 too, capped at 85."""
    return None if age_bin is None else min(int(age_bin), 85)


def isic_row(row: dict, *, file_name: str = "", attribution: str = "") -> dict:
    """One catalogue row (repository/services/catalogue_rows.py columns) in ISIC's columns.
    A synthetic row is marked image_manipulation=synthetic and keeps its source's lesion id."""
    general, special, site = BODY_SITES.get(row.get("body_site") or "unknown", ("", "", ""))
    diagnosis = DIAGNOSES.get(row.get("diagnosis") or "", ("", ()))[0]
    out = dict.fromkeys(ISIC_COLUMNS, "")
    out.update(
        isic_id=row["uid"],
        filename=file_name,
        attribution=attribution,
        copyright_license=LICENCES.get(row.get("licence") or "", ""),
        age_approx=isic_age(row.get("age_bin")),
        sex=row.get("sex") if row.get("sex") in ("male", "female") else "",
        anatom_site_general=general,
        anatom_site_special=special,
        diagnosis_confirm_type=CONFIRMATIONS.get(row.get("diagnosis_confirmation") or "", ""),
        fitzpatrick_skin_type=ROMAN.get(row.get("fitzpatrick") or 0, ""),
        image_type=MODALITIES.get(row.get("modality") or "", ""),
        image_manipulation="synthetic" if row.get("origin") == "synthetic" else "",
        lesion_id=row.get("lesion_key") or row.get("lesion_identifier") or "",
        pixels_x=row.get("width") or "",
        pixels_y=row.get("height") or "",
    )
    for i, level in enumerate(AnatomSiteEnum.levels(site) if site else [], start=1):
        out[f"anatom_site_{i}"] = level or ""
    for i, level in enumerate(DiagnosisEnum.levels(diagnosis) if diagnosis else [], start=1):
        out[f"diagnosis_{i}"] = level or ""
    return {k: ("" if v is None else v) for k, v in out.items()}


def validate_isic_row(values: dict) -> list[tuple[str, str]]:
    """(column, message) for every rule of isic-metadata the values break."""
    fields = {k: v for k, v in values.items() if k in MetadataRow.model_fields or _levelled(k)}
    try:
        MetadataRow(**fields)
    except ValidationError as exc:
        out = []
        for error in convert_errors(exc):
            loc = error.get("loc") or ()
            column = str(loc[0]) if loc else _columns_named(error, fields)
            out.append((column, error["msg"]))
        return out
    return []


def _levelled(name: str) -> bool:
    return any(name == f"{prefix}_{i}" for prefix in ("diagnosis", "anatom_site") for i in range(6))


def _columns_named(error: dict, fields: dict) -> str:
    """A cross-field rule names its columns in its context."""
    ctx = error.get("ctx") or {}
    names = [ctx[k] for k in ("field1", "field2") if ctx.get(k)]
    return ", ".join(names) or ", ".join(sorted(k for k, v in fields.items() if v))


# ---- reading an ISIC metadata CSV --------------------------------------------------------

# Columns PixGen reads; any other column in an ISIC CSV is reported, not silently dropped.
KEY_COLUMNS = ("isic_id", "filename")
READ_COLUMNS = {
    *KEY_COLUMNS,
    "attribution",
    "copyright_license",
    "age_approx",
    "age",
    "sex",
    "anatom_site_general",
    "anatom_site_special",
    "anatom_site",
    *(f"anatom_site_{i}" for i in range(1, 6)),
    "diagnosis",
    *(f"diagnosis_{i}" for i in range(1, 6)),
    "diagnosis_confirm_type",
    "fitzpatrick_skin_type",
    "image_type",
    "image_manipulation",
    "lesion_id",
    "pixels_x",
    "pixels_y",
}
# ISIC columns PixGen has no place for: accepted, validated, not stored.
IGNORED_COLUMNS = {
    "patient_id",
    "acquisition_day",
    "dermoscopic_type",
    "melanocytic",
    "concomitant_biopsy",
    "personal_hx_mm",
    "family_hx_mm",
    "clin_size_long_diam_mm",
    "mel_mitotic_index",
    "mel_thick_mm",
    "mel_ulcer",
    "benign_malignant",
}
ISIC_MARKERS = {
    "isic_id",
    "filename",
    "fitzpatrick_skin_type",
    "diagnosis_1",
    "anatom_site_general",
}


def looks_like_isic(columns: list[str]) -> bool:
    return bool(set(columns) & ISIC_MARKERS) and "dx" not in columns


@dataclass
class IsicRow:
    row: int  # the CSV line, the header being line 1
    key: str  # the image file's name or stem
    values: dict = field(default_factory=dict)  # PixGen metadata values
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


class IsicCsvError(ValueError):
    """The CSV as a whole cannot be read; `problems` lists (row, column, message)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"row {r}, column {c}: {m}" for r, c, m in problems))


def read_isic_csv(text: str) -> list[IsicRow]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [(c or "").strip() for c in reader.fieldnames or []]
    unknown = [
        (1, c or f"#{i + 1}", "is not an ISIC metadata column PixGen knows")
        for i, c in enumerate(columns)
        if c not in READ_COLUMNS | IGNORED_COLUMNS
    ]
    if not any(c in columns for c in KEY_COLUMNS):
        unknown.append((1, "isic_id", "the CSV needs an isic_id or a filename column"))
    if unknown:
        raise IsicCsvError(unknown)
    out = []
    for number, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        out.append(_read_row(number, values))
    if not out:
        raise IsicCsvError([(2, "", "the CSV has no rows")])
    return out


def _read_row(number: int, values: dict) -> IsicRow:
    key = values.get("filename") or values.get("isic_id") or ""
    result = IsicRow(row=number, key=key)
    if not key:
        result.errors.append(("isic_id", "names no image (isic_id or filename is empty)"))
    checked = dict(values)
    if checked.get("age_approx") and not checked.get("age"):
        checked["age"] = checked["age_approx"]
    result.errors += validate_isic_row(checked)
    bad = {column for column, _ in result.errors}
    result.values = _pixgen_values(checked, bad, result.errors)
    return result


def _diagnosis_value(values: dict) -> str:
    if values.get("diagnosis"):
        return DiagnosisEnum.accept_terminal_values(values["diagnosis"])
    levels = [values.get(f"diagnosis_{i}", "") for i in range(1, 6)]
    return ":".join(level for level in levels if level)


def diagnosis_code(isic_value: str) -> str | None:
    best, length = None, -1
    for code, (_out, prefixes) in DIAGNOSES.items():
        for prefix in prefixes:
            if (isic_value == prefix or isic_value.startswith(prefix + ":")) and len(
                prefix
            ) > length:
                best, length = code, len(prefix)
    return best


def _site_value(values: dict) -> str:
    if values.get("anatom_site"):
        return AnatomSiteEnum.accept_terminal_values(values["anatom_site"])
    levels = [values.get(f"anatom_site_{i}", "") for i in range(1, 6)]
    return ":".join(level for level in levels if level)


def body_site(values: dict) -> str:
    """The most specific PixGen body site the ISIC site columns name."""
    site = _site_value(values)
    special = values.get("anatom_site_special", "")
    general = values.get("anatom_site_general", "")
    if special in ("acral palms or soles", "acral NOS") or general == "palms/soles":
        return "acral"
    if special in ("nail NOS", "fingernail", "toenail"):
        return "nail"
    best, length = "unknown", 0
    for code, (_g, _s, path) in BODY_SITES.items():
        if path and (site == path or site.startswith(path + ":")) and len(path) > length:
            best, length = code, len(path)
    if best != "unknown":
        return best
    by_general = {
        "head/neck": "unknown",
        "anterior torso": "trunk",
        "posterior torso": "back",
        "lateral torso": "trunk",
        "upper extremity": "upper_extremity",
        "lower extremity": "lower_extremity",
        "oral/genital": "genital",
    }
    return by_general.get(general, "unknown")


def _pixgen_values(values: dict, bad: set[str], errors: list) -> dict:
    out: dict = {}
    diagnosis = _diagnosis_value(values)
    if not diagnosis:
        errors.append(("diagnosis", "is required by PixGen (diagnosis or diagnosis_1…5)"))
    elif "diagnosis" not in bad:
        code = diagnosis_code(diagnosis)
        if code is None:
            errors.append(
                ("diagnosis", f"'{diagnosis}' has no PixGen diagnosis code; import it with one")
            )
        out["diagnosis"] = code
    fitz = values.get("fitzpatrick_skin_type", "")
    if not fitz:
        errors.append(("fitzpatrick_skin_type", "is required by PixGen (I–VI)"))
    out["fitzpatrick"] = fitz
    image_type = values.get("image_type", "")
    if image_type and "image_type" not in bad:
        if image_type == ImageTypeEnum.dermoscopic.value:
            out["modality"] = "dermoscopic"
        elif image_type.startswith("clinical"):
            out["modality"] = "clinical"
        else:
            errors.append(("image_type", f"'{image_type}' images are not accepted by PixGen"))
    if values.get("image_manipulation") == ImageManipulationEnum.synthetic.value:
        errors.append(
            (
                "image_manipulation",
                "synthetic images cannot be contributed; PixGen makes and reviews its own",
            )
        )
    confirm = values.get("diagnosis_confirm_type", "")
    if confirm and "diagnosis_confirm_type" not in bad:
        reverse = {DiagnosisConfirmTypeEnum(v).value: k for k, v in CONFIRMATIONS.items()}
        out["diagnosis_confirmation"] = reverse[confirm]
    licence = values.get("copyright_license", "")
    if licence:
        reverse_licences = {v: k for k, v in LICENCES.items()}
        if licence in reverse_licences:
            out["licence"] = reverse_licences[licence]
        else:
            errors.append(
                (
                    "copyright_license",
                    f"Unsupported value for copyright_license: '{licence}' "
                    f"(one of {', '.join(LICENCES.values())}).",
                )
            )
    out["body_site"] = body_site(values)
    if values.get("sex") in ("male", "female"):
        out["sex"] = values["sex"]
    age = values.get("age", "")
    if age and "age" not in bad:
        out["age"] = 85 if age == "85+" else int(float(age))
    out["lesion_identifier"] = values.get("lesion_id", "")
    out["source_note"] = values.get("attribution", "")
    return out
