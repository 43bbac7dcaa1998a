"""Tone-transfer targets and backends as stored on jobs: parsed and checked up front, so a bad
target is a form error, never a failed worker."""

import hashlib
import json
import math
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository.numbers import ascii_whole
from synthesis.ml.fitzpatrick import parse_type, roman
from synthesis.ml.skin_colorimetry import (
    DistributionError,
    TargetDistributions,
    check_seed,
    distributions_from_dict,
    published_distributions,
)
from synthesis.ml.tone_transfer import BACKENDS, DEFAULT_BACKEND, ToneTarget
from synthesis.models import StyleTemplate

BACKEND_NEEDS_HANDLE = {"magenta"}


def target_fitzpatrick(value) -> dict:
    try:
        skin_type = None if isinstance(value, bool) else parse_type(value)
    except ValueError:
        skin_type = None
    if skin_type is None:
        raise ValidationError(
            _("Fitzpatrick type %(value)s is outside I–VI (1–6).") % {"value": value},
            code="fitzpatrick",
        )
    return {"kind": "fitzpatrick", "fitzpatrick": skin_type}


def target_ita(value) -> dict:
    try:
        ita = float(value)
    except (TypeError, ValueError):
        ita = math.nan
    if not -90.0 <= ita <= 90.0:  # NaN fails too
        raise ValidationError(
            _("An ITA target must be a number of degrees within −90 to 90, not %(value)s.")
            % {"value": value},
            code="ita",
        )
    return {"kind": "ita", "ita_deg": round(ita, 2)}


def target_templates(template_a, template_b, alpha) -> dict:
    try:
        weight = float(alpha)
    except (TypeError, ValueError):
        weight = math.nan
    if not 0.0 <= weight <= 1.0:
        raise ValidationError(
            _("Alpha must be between 0 (template A) and 1 (template B), not %(value)s.")
            % {"value": alpha},
            code="alpha",
        )
    rows = []
    for ref in (template_a, template_b):
        row = template_lookup(ref)
        rows.append(row)
    return {
        "kind": "templates",
        "template_a": rows[0].pk,
        "template_b": rows[1].pk,
        "template_names": [rows[0].name, rows[1].name],
        "alpha": round(weight, 4),
    }


def template_lookup(ref) -> StyleTemplate:
    """An active template by id (or name); a missing one is a ValidationError."""
    if isinstance(ref, StyleTemplate):
        ref = ref.pk
    rows = StyleTemplate.objects.active()
    text = str(ref if ref is not None else "").strip()
    number = ascii_whole(text)
    row = rows.filter(pk=number).first() if number is not None else rows.filter(name=text).first()
    if row is None:
        raise ValidationError(
            _("Style template %(ref)s does not exist or is not active.") % {"ref": text or "—"},
            code="template",
        )
    return row


def target_parse(target: dict) -> dict:
    """A target dict from a form, the CLI or the API -> its checked, normalised form."""
    kind = (target or {}).get("kind")
    if kind == "fitzpatrick":
        return target_fitzpatrick(target.get("fitzpatrick"))
    if kind == "ita":
        return target_ita(target.get("ita_deg"))
    if kind == "templates":
        return target_templates(
            target.get("template_a"), target.get("template_b"), target.get("alpha")
        )
    raise ValidationError(
        _("A target is a Fitzpatrick type, an ITA angle, or two templates with alpha."),
        code="target",
    )


def target_key(target: dict) -> str:
    if target["kind"] == "fitzpatrick":
        return f"fitzpatrick:{target['fitzpatrick']}"
    if target["kind"] == "ita":
        return f"ita:{target['ita_deg']:g}"
    return f"templates:{target['template_a']}:{target['template_b']}:{target['alpha']:g}"


def target_label(target: dict) -> str:
    if target["kind"] == "fitzpatrick":
        return _("Fitzpatrick %(type)s") % {"type": roman(target["fitzpatrick"])}
    if target["kind"] == "ita":
        return _("ITA %(ita)s°") % {"ita": f"{target['ita_deg']:g}"}
    names = target.get("template_names") or [target["template_a"], target["template_b"]]
    return _("%(a)s → %(b)s at α=%(alpha)s") % {
        "a": names[0],
        "b": names[1],
        "alpha": f"{target['alpha']:g}",
    }


# What a user may set per backend and the values each takes: (low, high, whole number?). The
# backends check again while rendering; checking here makes a bad value an error at job
# creation rather than a job whose every item fails. magenta's style_template is PixGen's own.
_FEATHER = (0.0, 500.0, False)
_SOLVER = {"max_evals": (1, 50, True), "tolerance_deg": (0.01, 10.0, False)}
BACKEND_PARAMETERS: dict[str, dict[str, tuple | None]] = {
    "melanin": {
        "surface_reflectance": (0.0, 0.499, False),
        "lesion_gain": (0.0, 3.0, False),
        "feather_px": _FEATHER,
        **_SOLVER,
    },
    "lab-stats": {"lesion_contrast_keep": (0.0, 1.5, False), "feather_px": _FEATHER, **_SOLVER},
    "magenta": {"handle": None, "feather_px": _FEATHER},
    "chromophore": {
        "lesion_gain": (0.05, 12.0, False),
        "feather_px": _FEATHER,
        "min_lesion_retention": (0.0, 1.0, False),
        "min_lesion_delta_e": (0.0, 30.0, False),
    },
}


def backend_check(backend: str | None, params: dict | None) -> tuple[str, dict]:
    """(backend name, its parameters) or a ValidationError naming what is wrong."""
    name = str(backend or DEFAULT_BACKEND).strip()
    if name not in BACKENDS:
        raise ValidationError(
            {
                "backend": _("Unknown backend %(name)s; choose one of %(names)s.")
                % {"name": repr(name), "names": ", ".join(sorted(BACKENDS))}
            },
            code="backend",
        )
    if params is not None and not isinstance(params, dict):
        raise ValidationError({"backend_params": _("Backend parameters are a JSON object.")})
    known = BACKEND_PARAMETERS.get(name, {})
    # The web form always sends a handle; it only means something to magenta.
    params = {
        k: v
        for k, v in (params or {}).items()
        if v not in (None, "") and (k in known or k != "handle")
    }
    unknown = sorted(str(k) for k in params if k not in known)
    if unknown:
        raise ValidationError(
            {
                "backend_params": _(
                    "The %(backend)s backend has no parameter %(names)s; it takes %(known)s."
                )
                % {
                    "backend": name,
                    "names": ", ".join(unknown),
                    "known": ", ".join(sorted(known)) or _("none"),
                }
            },
            code="backend_params",
        )
    for key, bounds in known.items():
        if key in params and bounds is not None:
            params[key] = _parameter(name, key, params[key], *bounds)
    if name in BACKEND_NEEDS_HANDLE:
        params["handle"] = magenta_handle_check(params.get("handle"))
    return name, params


def _parameter(backend: str, key: str, value, low, high, whole: bool):
    number = None
    if not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
    if number is None or not low <= number <= high or (whole and not number.is_integer()):
        kind = _("a whole number") if whole else _("a number")
        raise ValidationError(
            {
                "backend_params": _(
                    "%(backend)s: %(key)s must be %(kind)s from %(low)s to %(high)s, not %(value)s."
                )
                % {
                    "backend": backend,
                    "key": key,
                    "kind": kind,
                    "low": low,
                    "high": high,
                    "value": repr(value)[:40],
                }
            },
            code="backend_params",
        )
    return int(number) if whole else number


def magenta_handle_check(handle) -> str:
    """A local SavedModel folder that exists (loading it is the worker's job). Never a URL: the
    server fetches nothing from the internet on a user's behalf."""
    text = str(handle or "").strip()
    if not text:
        raise ValidationError(
            {
                "handle": _(
                    "The magenta backend needs a model handle: a local SavedModel folder "
                    "(arbitrary-image-stylization-v1-256) on the worker."
                )
            },
            code="handle",
        )
    if "://" in text or text.startswith(("http:", "https:", "gs:", "s3:", "ftp:", "file:")):
        raise ValidationError(
            {
                "handle": _(
                    "The magenta model handle must be a local SavedModel folder, not a URL: "
                    "PixGen downloads nothing at run time. Download the model once and give "
                    "its folder."
                )
            },
            code="handle",
        )
    path = Path(text)
    if not (path.is_dir() and (path / "saved_model.pb").is_file()):
        raise ValidationError(
            {
                "handle": _(
                    "The magenta model handle %(handle)s is not a SavedModel folder "
                    "(no saved_model.pb there)."
                )
                % {"handle": text}
            },
            code="handle",
        )
    return str(path.resolve())


def seed_check(value, *, field: str = "seed") -> int:
    """A seed from a form, the API, the CLI or a job: a whole number, or a ValidationError."""
    if value in (None, ""):
        return 0
    try:
        return check_seed(value)
    except ValueError:
        raise ValidationError(
            {
                field: _("The seed must be a whole number from 0 up, not %(value)s.")
                % {"value": value}
            },
            code="seed",
        ) from None


def distribution_check(data, *, field: str = "target_distribution") -> dict | None:
    """A target distribution as given (a dict, JSON text or bytes) -> its checked dict, or None
    for the published one. Missing types, fields or bad numbers are a ValidationError."""
    if data in (None, "", b"", {}):
        return None
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        if isinstance(data, str):
            data = json.loads(data)
        parsed = distributions_from_dict(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            {field: _("The target distribution is not JSON: %(error)s") % {"error": exc}},
            code="target_distribution",
        ) from None
    except DistributionError as exc:
        raise ValidationError(
            {field: _("The target distribution cannot be used: %(error)s") % {"error": exc}},
            code="target_distribution",
        ) from None
    return parsed.as_dict()


def distributions_for(data: dict | None) -> TargetDistributions:
    return published_distributions() if not data else distributions_from_dict(data)


def output_seed(job_seed: int, source_id: int, key: str) -> int:
    """Each output's own seed: the job's seed, the source image and the target, hashed, so a
    retried item draws the same colour and two images of one job draw different ones."""
    digest = hashlib.sha256(f"{job_seed}:{source_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def tone_target_build(
    target: dict,
    templates: dict[int, object],
    *,
    seed: int | None = None,
    distributions: TargetDistributions | None = None,
) -> ToneTarget:
    """The ML target for a stored target; templates maps template id -> ML StyleTemplate.
    With a seed, a Fitzpatrick target's skin colour is drawn from real skin of the type."""
    if target["kind"] == "fitzpatrick":
        if seed is not None:
            return ToneTarget.drawn(target["fitzpatrick"], seed, distributions)
        return ToneTarget.for_fitzpatrick(target["fitzpatrick"])
    if target["kind"] == "ita":
        return ToneTarget.for_ita(target["ita_deg"])
    return ToneTarget.mix(
        templates[target["template_a"]], templates[target["template_b"]], target["alpha"]
    )
