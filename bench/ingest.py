"""Benchmark: ingest the full-resolution HAM10000 images through the ingest service.

    make bench-ingest            # PostgreSQL at DATABASE_URL (default: local pixgen_bench)
    .venv/bin/python bench/ingest.py --data ../shared/data/ham10000-fullres --repeat 1

Reports ms per image (median, p95), images per second and peak memory. Each run starts from
an empty database (the bench database is created and migrated when missing) and a temporary
media folder, so figures are comparable between runs.
"""

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import django_on  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data" / "ham10000-fullres"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pixgen_bench"
        ),
    )
    args = parser.parse_args()
    images = sorted((args.data / "images").glob("*.jpg"))
    if not images:
        sys.exit(f"no images under {args.data / 'images'}")

    django_on(args.database_url, tempfile.mkdtemp(prefix="pixgen-bench-"))
    from django.db import connection

    from repository.models import LesionImage
    from repository.services.ingest import image_ingest
    from repository.services.metadata import ImageMetadata
    from tests.factories import ClinicianFactory

    LesionImage.objects.all().delete()
    clinician = ClinicianFactory(username=f"bench-{os.getpid()}")
    payloads = [p.read_bytes() for p in images]

    timings = []
    tracemalloc.start()
    started = time.perf_counter()
    for data in payloads:
        t0 = time.perf_counter()
        image_ingest(
            contributor=clinician,
            fileobj=io.BytesIO(data),
            metadata=ImageMetadata(
                diagnosis="nv",
                fitzpatrick=2,
                modality="dermoscopic",
                diagnosis_confirmation="histopathology",
                body_site="back",
                licence="CC-BY-NC-4.0",
                consent_attested=True,
            ),
        )
        timings.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"database: {connection.vendor} ({args.database_url.rsplit('@', 1)[-1]})")
    print(f"images: {len(timings)} from {args.data}")
    median = statistics.median(timings)
    print(f"ms per image: median {median:.1f}, p95 {p95:.1f}, max {timings[-1]:.1f}")
    print(f"images per second: {len(timings) / wall:.1f}")
    print(f"peak Python heap during ingest: {peak / 1048576:.1f} MiB")
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss_mib:.0f} MiB")
    LesionImage.objects.all().delete()


if __name__ == "__main__":
    main()
