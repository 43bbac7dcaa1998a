"""HTTP Range requests (RFC 9110 §14) for stored archives, so an interrupted download resumes
with any ordinary client (curl -C -, wget -c, a browser, requests with a Range header).
Plain Python, no Django: `parse_range` turns a header into one byte range or refuses it."""

import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(ValueError):
    """A Range header that is malformed or outside the file: the answer is 416."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """None when there is no Range header (send the whole file); a ByteRange for one
    satisfiable range; RangeNotSatisfiable for anything else, with the reason."""
    if header is None or header.strip() == "":
        return None
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        raise RangeNotSatisfiable(f"Only byte ranges are served, not {header!r}.")
    parts = specs.split(",")
    if len(parts) != 1:
        raise RangeNotSatisfiable("Ask for one byte range per request.")
    match = _SPEC.match(parts[0])
    if match is None or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable(f"{header!r} is not a byte range such as bytes=1000-.")
    first, last = match.groups()
    if first == "":  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable("An empty suffix range asks for no bytes.")
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last != "" else size - 1
    if end < start:
        raise RangeNotSatisfiable(f"The range ends ({end}) before it starts ({start}).")
    if start >= size:
        raise RangeNotSatisfiable(f"The range starts at byte {start}; the file has {size} bytes.")
    return ByteRange(start, min(end, size - 1))
