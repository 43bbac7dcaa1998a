"""A ZIP writer that yields its bytes as it goes, in constant memory.

zipfile writes into a sink that cannot seek, so it uses data descriptors and never goes back;
the sink is drained after every chunk. Fixed timestamps and permissions make the same members
in the same order give byte-identical archives."""

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator

CHUNK = 64 * 1024
STORED_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".zip", ".gz")


class _Sink(io.RawIOBase):
    """Collects what zipfile writes until it is drained; no tell/seek, on purpose."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def read_chunks(fileobj, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := fileobj.read(size):
        yield chunk


class ZipStream:
    """`yield from stream.add(name, chunks)` per member (returns its SHA-256), then
    `yield from stream.finish()`."""

    def __init__(self, *, date_time: tuple[int, int, int, int, int, int]) -> None:
        self.date_time = max(date_time, (1980, 1, 1, 0, 0, 0))
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", allowZip64=True)
        self.names: set[str] = set()
        self.sizes: dict[str, int] = {}  # member -> uncompressed size

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.create_system = 3  # Unix, whatever machine builds it
        info.external_attr = 0o100644 << 16
        stored = name.lower().endswith(STORED_SUFFIXES)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        return info

    def add(self, name: str, chunks: Iterable[bytes], *, large: bool = False) -> Iterator[bytes]:
        """Write one member from an iterable of byte chunks; returns the hex SHA-256."""
        if name in self.names:
            raise ValueError(f"duplicate archive member {name!r}")
        self.names.add(name)
        digest = hashlib.sha256()
        size = 0
        with self._zip.open(self._info(name), "w", force_zip64=large) as member:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
                if out := self._sink.drain():
                    yield out
        if out := self._sink.drain():
            yield out
        self.sizes[name] = size
        return digest.hexdigest()

    def add_bytes(self, name: str, data: bytes) -> Iterator[bytes]:
        return (
            yield from self.add(name, (data[i : i + CHUNK] for i in range(0, len(data), CHUNK)))
        )

    def finish(self) -> Iterator[bytes]:
        """The central directory: about 100 bytes per member, yielded in CHUNK slices."""
        self._zip.close()
        out = self._sink.drain()
        for start in range(0, len(out), CHUNK):
            yield out[start : start + CHUNK]
