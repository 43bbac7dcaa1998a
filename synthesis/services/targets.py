"""Tone-transfer targets and backends as stored on jobs: parsed and checked up front, so a bad
target is a form error, never a failed worker."""

import math
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from synthesis.ml.fitzpatrick import parse_type, roman
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
    row = rows.filter(pk=int(text)).first() if text.isdigit() else rows.filter(name=text).first()
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


def backend_check(backend: str | None, params: dict | None) -> tuple[str, dict]:
    """(backend name, its parameters) or a ValidationError naming what is wrong."""
    name = (backend or DEFAULT_BACKEND).strip()
    if name not in BACKENDS:
        raise ValidationError(
            {
                "backend": _("Unknown backend %(name)s; choose one of %(names)s.")
                % {"name": repr(name), "names": ", ".join(sorted(BACKENDS))}
            },
            code="backend",
        )
    params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    if name in BACKEND_NEEDS_HANDLE:
        params["handle"] = magenta_handle_check(params.get("handle"))
    elif "handle" in params:
        params.pop("handle")
    return name, params


def magenta_handle_check(handle) -> str:
    """A TF-Hub URL, or a local SavedModel folder that exists (loading it is the worker's job)."""
    text = str(handle or "").strip()
    if not text:
        raise ValidationError(
            {
                "handle": _(
                    "The magenta backend needs a model handle: a local SavedModel folder "
                    "(arbitrary-image-stylization-v1-256) or a TF-Hub URL."
                )
            },
            code="handle",
        )
    if text.startswith(("http://", "https://")):
        return text
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


def tone_target_build(target: dict, templates: dict[int, object]) -> ToneTarget:
    """The ML target for a stored target; templates maps template id -> ML StyleTemplate."""
    if target["kind"] == "fitzpatrick":
        return ToneTarget.for_fitzpatrick(target["fitzpatrick"])
    if target["kind"] == "ita":
        return ToneTarget.for_ita(target["ita_deg"])
    return ToneTarget.mix(
        templates[target["template_a"]], templates[target["template_b"]], target["alpha"]
    )
