"""metadata.parquet: the archive's metadata as one typed table (one row per image), written in
row groups as rows arrive so memory does not grow with the export. Readable by pandas,
pyarrow, polars and Hugging Face `datasets`. Plain pyarrow, no Django."""

import datetime as dt
import json
import tempfile
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

# Column -> Arrow type; columns not named here are strings.
TYPES = {
    "id": pa.int64(),
    "fitzpatrick": pa.int8(),
    "monk_tone": pa.int8(),
    "age_bin": pa.int16(),
    "request": pa.int64(),
    "seed": pa.int64(),
    "source_image": pa.int64(),
    "width": pa.int32(),
    "height": pa.int32(),
    "ita_deg": pa.float64(),
    "estimated_fitzpatrick": pa.int8(),
    "created_at": pa.timestamp("us", tz="UTC"),
}
ROW_GROUP = 5000


def schema(columns: list[str]) -> pa.Schema:
    return pa.schema([pa.field(c, TYPES.get(c, pa.string())) for c in columns])


def _value(column: str, value):
    if value is None or value == "":
        return None
    kind = TYPES.get(column, pa.string())
    if kind == pa.string():
        return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)
    if pa.types.is_timestamp(kind):
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if pa.types.is_floating(kind):
        return float(value)
    return int(value)


class ParquetTable:
    """add(record) per row, then chunks() once: the file's bytes."""

    def __init__(self, columns: list[str]):
        self.columns = list(columns)
        self.schema = schema(self.columns)
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by chunks())
        self._writer = pq.ParquetWriter(
            self._file, self.schema, compression="zstd", write_statistics=True
        )
        self._batch: dict[str, list] = {c: [] for c in self.columns}
        self._rows = 0

    def add(self, record: dict) -> None:
        for column in self.columns:
            self._batch[column].append(_value(column, record.get(column)))
        self._rows += 1
        if self._rows % ROW_GROUP == 0:
            self._flush()

    def _flush(self) -> None:
        if self._batch[self.columns[0]] or not self._rows:
            self._writer.write_table(pa.table(self._batch, schema=self.schema))
            self._batch = {c: [] for c in self.columns}

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        self._flush()
        self._writer.close()
        self._file.seek(0)
        try:
            while chunk := self._file.read(size):
                yield chunk
        finally:
            self._file.close()
