"""Links to the permission-checked file views of a catalogue row."""

from functools import lru_cache

from django.urls import get_script_prefix, reverse

ROUTES = {"real": "image-file", "synthetic": "synthesis-image-file"}
DETAILS = {"real": "api-image-detail", "synthetic": "api-synthetic-detail"}
_ID = 918273645  # a placeholder id, replaced in the reversed path


@lru_cache(maxsize=64)
def _patterns(origin: str, prefix: str) -> dict[str, tuple[str, str]]:
    """Each link's path around the id, reversed once: a page of 1,000 rows would otherwise
    reverse 3,000 URLs (most of a list request's time)."""
    route = ROUTES[origin]
    paths = {kind: reverse(route, args=[_ID, kind]) for kind in ("image", "thumbnail", "mask")}
    paths["url"] = reverse(DETAILS[origin], args=[_ID])
    return {name: tuple(path.split(str(_ID), 1)) for name, path in paths.items()}


def links_base(request) -> str:
    """The scheme and host links start with ("" without a request)."""
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def links(row: dict, request, *, base: str | None = None) -> dict:
    """A row's links; a page passes `base` (links_base) once instead of per row."""
    patterns = _patterns(row["origin"], get_script_prefix())
    base = links_base(request) if base is None else base
    pk = str(row["id"])

    def link(name: str) -> str:
        head, tail = patterns[name]
        return f"{base}{head}{pk}{tail}"

    files = {kind: link(kind) for kind in ("image", "thumbnail")}
    if row.get("_mask"):
        files["mask"] = link("mask")
    return {"url": link("url"), "files": files}
