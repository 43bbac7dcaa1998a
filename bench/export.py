"""Benchmark: export throughput and memory for 500, 1,000 and 2,000 catalogue images.

    .venv/bin/python bench/export.py [--sizes 500,1000,2000] [--database-url postgres://…]

Builds 2,000 public LesionImage rows on PostgreSQL (DATABASE_URL, default the local
pixgen_bench database, created and migrated when missing) that re-use the 35 shipped demo
images and masks (distinct sha256 per row), then streams the export of the first N of them and
reports MB/s, the tracemalloc peak of the Python heap and the RSS growth while streaming. The
target is memory that stays flat as the export grows.
"""

import argparse
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TAG = "bench-export"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_rows(total: int) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from repository.models import Diagnosis, LesionImage
    from repository.services.demo import DEMO_DIR, demo_rows
    from tests.factories import ClinicianFactory

    LesionImage.objects.filter(source_note=TAG).delete()
    clinician = ClinicianFactory(username=f"bench-export-{os.getpid()}")
    stored = []
    for row in demo_rows():
        image = (DEMO_DIR / "images" / f"{row['image_id']}.jpg").read_bytes()
        mask = (DEMO_DIR / "masks" / f"{row['image_id']}.png").read_bytes()
        stored.append(
            (
                default_storage.save(f"bench/{row['image_id']}.jpg", ContentFile(image)),
                default_storage.save(f"bench/{row['image_id']}.png", ContentFile(mask)),
                row["dx"],
                len(image),
            )
        )
    diagnoses = {d.code: d for d in Diagnosis.objects.all()}
    now = timezone.now()
    LesionImage.objects.bulk_create(
        [
            LesionImage(
                image=name,
                thumbnail=name,
                mask=mask,
                sha256=hashlib.sha256(f"{TAG}-{i}".encode()).hexdigest(),
                width=600,
                height=450,
                file_format="JPEG",
                file_size=size,
                modality="dermoscopic",
                diagnosis=diagnoses[dx],
                diagnosis_confirmation="histopathology",
                fitzpatrick=4 + i % 3,
                body_site="back",
                licence="CC-BY-NC-4.0",
                consent_attested=True,
                source_note=TAG,
                contributor=clinician,
                status="public",
                moderated_at=now,
            )
            for i, (name, mask, dx, size) in ((i, stored[i % len(stored)]) for i in range(total))
        ],
        batch_size=1000,
    )


def measure(n: int) -> dict:
    from repository.models import LesionImage
    from repository.services.catalogue import catalogue_query
    from repository.services.exports import export_stream

    ids = LesionImage.objects.filter(source_note=TAG).order_by("id").values_list("id", flat=True)
    cutoff = ids[n - 1]
    LesionImage.objects.filter(source_note=TAG, id__gt=cutoff).update(status="pending")
    LesionImage.objects.filter(source_note=TAG, id__lte=cutoff).update(status="public")
    query = catalogue_query({"origin": "real"})

    # Pass 1, untraced: throughput, and RSS sampled while streaming.
    _name, stream, count = export_stream(query=query, layout="imagefolder", augment=(), seed=0)
    base_rss, top_rss, size, chunks, largest = rss_mib(), 0.0, 0, 0, 0
    started = time.perf_counter()
    for chunk in stream:
        size += len(chunk)
        chunks += 1
        largest = max(largest, len(chunk))
        if chunks % 200 == 0:
            top_rss = max(top_rss, rss_mib())
    wall = time.perf_counter() - started
    top_rss = max(top_rss, rss_mib())

    # Pass 2, traced: the Python heap's peak while the same export streams.
    _name, stream, _count = export_stream(query=query, layout="imagefolder", augment=(), seed=0)
    tracemalloc.start()
    for _chunk in stream:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "images": count,
        "mb": size / 1e6,
        "seconds": wall,
        "mb_s": size / 1e6 / wall,
        "chunks": chunks,
        "largest_kib": largest / 1024,
        "heap_peak_mib": peak / 1048576,
        "rss_growth_mib": top_rss - base_rss,
        "rss_mib": top_rss,
    }


def main() -> None:
    from benchdb import django_on

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pixgen_bench"),
    )
    parser.add_argument("--sizes", default="500,1000,2000")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    django_on(args.database_url, tempfile.mkdtemp(prefix="pixgen-bench-export-"))
    from django.db import connection

    from repository.models import LesionImage

    build_rows(max(sizes))
    print(f"database: {connection.vendor} ({args.database_url.rsplit('@', 1)[-1]})")
    print("layout imagefolder, no augmentation; every image has a mask; 35 demo files re-used")
    print(
        f"{'images':>7} {'MB':>8} {'s':>7} {'MB/s':>7} {'chunks':>7} {'max chunk KiB':>13} "
        f"{'heap peak MiB':>13} {'RSS growth MiB':>14} {'RSS MiB':>8}"
    )
    try:
        for n in sizes:
            r = measure(n)
            print(
                f"{r['images']:>7} {r['mb']:>8.1f} {r['seconds']:>7.2f} {r['mb_s']:>7.1f} "
                f"{r['chunks']:>7} {r['largest_kib']:>13.1f} {r['heap_peak_mib']:>13.2f} "
                f"{r['rss_growth_mib']:>14.1f} {r['rss_mib']:>8.0f}"
            )
    finally:
        LesionImage.objects.filter(source_note=TAG).delete()


if __name__ == "__main__":
    main()
