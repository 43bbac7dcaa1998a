"""Balanced samples and the typed Parquet table (read back with pandas, pyarrow and datasets)."""

import datetime as dt
import io

import pandas as pd
import pyarrow.parquet as pq
import pytest

from repository.exporting.balance import BalanceError, Candidate, balanced_sample
from repository.exporting.parquet import ParquetTable


def _cands():
    out = [Candidate(f"real-{i}", "mel", 5, "real") for i in range(3)]
    out += [Candidate(f"real-{i}", "nv", 2, "real") for i in range(10, 30)]
    out += [Candidate(f"synthetic-{i}", "mel", 5, "synthetic") for i in range(10)]
    return out


def test_at_most_n_per_cell_real_first_and_the_same_seed_gives_the_same_sample():
    sample = balanced_sample(_cands(), per_cell=5, seed=1)
    assert sample.cells["nv|2"]["real_taken"] == 5
    assert sample.cells["mel|5"] == {
        "real": 3,
        "synthetic": 10,
        "real_taken": 3,
        "synthetic_taken": 0,
    }
    assert sample.selected == balanced_sample(list(reversed(_cands())), per_cell=5, seed=1).selected
    assert sample.selected != balanced_sample(_cands(), per_cell=5, seed=2).selected


def test_thin_cells_fill_with_synthetic_images_up_to_the_stated_share():
    half = balanced_sample(_cands(), per_cell=8, synthetic_ratio=0.5, seed=0)
    assert half.cells["mel|5"]["synthetic_taken"] == 3  # 3 real + 3 synthetic: 50%
    full = balanced_sample(_cands(), per_cell=8, synthetic_ratio=1.0, seed=0)
    assert full.cells["mel|5"]["synthetic_taken"] == 5  # up to the cell's 8
    assert full.manifest()["seed"] == 0 and full.manifest()["per_cell"] == 8


def test_asking_for_more_than_any_cell_holds_says_what_exists():
    with pytest.raises(BalanceError) as exc:
        balanced_sample(_cands(), per_cell=50, seed=0)
    message = str(exc.value)
    assert "up to 50" in message and "the fullest has 20" in message
    assert "mel × Fitzpatrick 5: 3 real, 10 synthetic" in message
    with pytest.raises(BalanceError):
        balanced_sample([], per_cell=5)
    with pytest.raises(BalanceError):
        balanced_sample(_cands(), per_cell=0)


COLUMNS = ["uid", "fitzpatrick", "age_bin", "ita_deg", "created_at", "augmentation", "split"]


def _parquet(records) -> bytes:
    table = ParquetTable(COLUMNS)
    for record in records:
        table.add(record)
    return b"".join(table.chunks())


RECORDS = [
    {
        "uid": "real-1",
        "fitzpatrick": 5,
        "age_bin": 45,
        "ita_deg": -12.5,
        "created_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "augmentation": {"crop": [0, 0, 10, 10]},
        "split": "train",
    },
    {"uid": "synthetic-2", "fitzpatrick": 6, "created_at": "2026-11-02T10:00:00+00:00"},
]


def test_parquet_columns_are_typed_and_nullable():
    data = _parquet(RECORDS)
    frame = pd.read_parquet(io.BytesIO(data))
    assert list(frame.columns) == COLUMNS
    assert str(frame["fitzpatrick"].dtype) == "int8"
    assert frame["age_bin"].isna().tolist() == [False, True]
    assert frame["ita_deg"].iloc[0] == -12.5
    assert str(frame["created_at"].dtype).startswith("datetime64")
    schema = pq.read_schema(io.BytesIO(data))
    assert str(schema.field("uid").type) == "string"


def test_hugging_face_datasets_reads_the_parquet(tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "metadata.parquet"
    path.write_bytes(_parquet(RECORDS))
    ds = datasets.Dataset.from_parquet(str(path), cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == 2
    assert ds[0]["uid"] == "real-1" and ds[1]["age_bin"] is None


def test_an_empty_table_still_has_its_schema():
    frame = pd.read_parquet(io.BytesIO(_parquet([])))
    assert list(frame.columns) == COLUMNS and len(frame) == 0
