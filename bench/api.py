"""Benchmark: the public API over 100,000 image rows in PostgreSQL.

    .venv/bin/python bench/api.py [--rows 100000] [--seconds 20] [--workers 2]

Seeds a dedicated database (pixgen_bench_api; rows are reused between runs) with generated
metadata pointing at a few real demo files, then reports:
  1. in-process latency (median, p99) of filtered list pages of 100 and of a detail request;
  2. requests per second and latency under gunicorn, from a bounded local load loop.
"""

import argparse
import http.client
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = [
    "/api/v1/images/?page_size=100",
    "/api/v1/images/?diagnosis=mel&fitzpatrick=5&page_size=100",
    "/api/v1/images/?fitzpatrick_min=4&fitzpatrick_max=6&body_site=face,back&page_size=100",
    "/api/v1/images/?origin=real&age_min=40&age_max=60&sex=female&page_size=100",
    "/api/v1/images/?diagnosis=vasc&fitzpatrick=6&modality=clinical&page_size=100",
    "/api/v1/images/?fields=uid,diagnosis,fitzpatrick&page_size=100",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed(rows: int) -> int:
    from django.db import connection, transaction

    from repository.models import Diagnosis, LesionImage
    from repository.services.moderation import image_publish
    from repository.vocabulary import BodySite, Licence, Modality, Sex
    from tests.conftest import demo_rows, ingest
    from tests.factories import ClinicianFactory, ModeratorFactory

    have = LesionImage.objects.count()
    if have >= rows:
        return have
    clinician = ClinicianFactory(username="bench-clinician")
    moderator = ModeratorFactory(username="bench-moderator")
    templates = []
    for row in demo_rows()[:3]:
        existing = LesionImage.objects.filter(source_note=f"bench {row['image_id']}").first()
        image = existing or ingest(
            clinician, row["image_id"], source_note=f"bench {row['image_id']}"
        )
        if image.status == "pending":
            image_publish(image=image, moderator=moderator)
        templates.append(image)
    diagnoses = list(Diagnosis.objects.all())
    rng = random.Random(0)
    batch, made = [], have
    with transaction.atomic():
        while made < rows:
            t = rng.choice(templates)
            batch.append(
                LesionImage(
                    image=t.image.name,
                    thumbnail=t.thumbnail.name,
                    sha256=f"{made:064x}",
                    width=t.width,
                    height=t.height,
                    file_format=t.file_format,
                    file_size=t.file_size,
                    modality=rng.choice(Modality.values),
                    diagnosis=rng.choice(diagnoses),
                    diagnosis_confirmation="clinical",
                    fitzpatrick=rng.randint(1, 6),
                    body_site=rng.choice(BodySite.values),
                    age_bin=rng.randrange(0, 90, 5),
                    sex=rng.choice(Sex.values),
                    licence=rng.choice(Licence.values),
                    consent_attested=True,
                    lesion_identifier=f"L{made // 3}",
                    contributor=clinician,
                    status="public" if rng.random() < 0.9 else "pending",
                )
            )
            made += 1
            if len(batch) == 5000:
                LesionImage.objects.bulk_create(batch)
                batch = []
        LesionImage.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, or the planner misjudges the filters
    return LesionImage.objects.count()


def in_process(repeats: int) -> None:
    from django.test import Client

    from repository.models import LesionImage

    client = Client(HTTP_HOST="localhost")
    for url in QUERIES:
        client.get(url)  # warm
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        print(
            f"  list {url[15:]:<75} median {statistics.median(times):6.1f} ms  "
            f"p99 {percentile(times, 0.99):6.1f} ms"
        )
    ids = list(LesionImage.objects.public().values_list("id", flat=True)[:2000])
    times = []
    for pk in random.Random(1).sample(ids, min(repeats, len(ids))):
        t0 = time.perf_counter()
        assert client.get(f"/api/v1/images/{pk}/").status_code == 200
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"  detail /api/v1/images/<id>/ median {statistics.median(times):6.1f} ms  "
        f"p99 {percentile(times, 0.99):6.1f} ms"
    )
    # A crawler walking 20 pages of 1,000 with the cursor.
    url, t0, pages = "/api/v1/images/?page_size=1000&fields=uid,sha256", time.perf_counter(), 0
    while url and pages < 20:
        body = client.get(url).json()
        url = body["next"] and body["next"].replace("http://localhost", "")
        pages += 1
    print(f"  crawl: {pages} pages of 1,000 rows in {time.perf_counter() - t0:.2f} s")


def under_gunicorn(seconds: float, workers: int, env: dict) -> None:
    port = 18765
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pixgen.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request(
                    "GET", "/api/v1/coverage/"
                )
                break
            except OSError:
                time.sleep(0.3)
        latencies: list[float] = []
        errors = [0]
        stop = time.monotonic() + seconds

        def load(n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            i = n
            while time.monotonic() < stop:
                url = QUERIES[i % len(QUERIES)]
                i += 1
                t0 = time.perf_counter()
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status != 200:
                    errors[0] += 1

        threads = [threading.Thread(target=load, args=(n,)) for n in range(workers * 2)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        median, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        print(
            f"  gunicorn -w {workers}, {workers * 2} client threads, {elapsed:.0f} s: "
            f"{len(latencies) / elapsed:.0f} requests/s, median {median:.1f} ms, "
            f"p99 {p99:.1f} ms, non-200: {errors[0]}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/pixgen_bench_api"
    )
    args = parser.parse_args()
    var = Path(tempfile.gettempdir()) / "pixgen-bench-api"
    from benchdb import django_on

    env = django_on(
        args.database_url, var, PIXGEN_API_ANON_RATE="1000000/min", PIXGEN_LOG_LEVEL="WARNING"
    )
    print(f"rows: {seed(args.rows)} in {args.database_url.rsplit('/', 1)[-1]}")
    print("in-process (Django test client, no network):")
    in_process(args.repeats)
    print("over HTTP:")
    under_gunicorn(args.seconds, args.workers, env)


if __name__ == "__main__":
    main()
