"""Links to the permission-checked file views of a catalogue row."""

from django.urls import reverse

ROUTES = {"real": "image-file", "synthetic": "synthesis-image-file"}
DETAILS = {"real": "api-image-detail", "synthetic": "api-synthetic-detail"}


def links(row: dict, request) -> dict:
    def absolute(path: str) -> str:
        return request.build_absolute_uri(path) if request is not None else path

    route = ROUTES[row["origin"]]
    files = {
        kind: absolute(reverse(route, args=[row["id"], kind])) for kind in ("image", "thumbnail")
    }
    if row.get("_mask"):
        files["mask"] = absolute(reverse(route, args=[row["id"], "mask"]))
    return {"url": absolute(reverse(DETAILS[row["origin"]], args=[row["id"]])), "files": files}
