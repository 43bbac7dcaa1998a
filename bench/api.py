"""Benchmark: the public API and the web gallery over 1,000,000 catalogue rows in PostgreSQL.

    nice -n 10 .venv/bin/python bench/api.py [--rows 1000000] [--seconds 20] [--workers 2]
        [--database-url postgres://…/pixgen_bench_api] [--gallery-only | --http-only]
        [--timeout 10]

Seeds a dedicated database (pixgen_bench_api; rows are reused between runs) in SQL (INSERT …
SELECT over generate_series, seeded random: about two minutes for a million rows), 90% real and
10% approved synthetic rows with generated metadata pointing at a few real demo files; rows
written this way bypass the services, so it then recounts the facet summary
(rebuild_catalogue_counts) and vacuums and analyses the tables. It reports:
  1. in-process latency through the WSGI application gunicorn serves (no network; p50, p95,
     p99, and the bench process's CPU time) of list pages of 100
     for EVERY combination of six filters (diagnosis, Fitzpatrick range, body site, sex, age
     range, origin), and of a detail request;
  2. the gallery's facet counts (p95, cold: the facet cache is cleared before each) and the
     gallery page itself (p95), server time;
  3. requests per second and latency under gunicorn, from a bounded local load loop, once a
     worker answers; a request that fails or takes longer than --timeout is counted as an
     error, and the run always finishes.
Targets (issue 16): list p99 <= 50 ms for every combination, facets p95 <= 100 ms, gallery page
p95 <= 150 ms.
"""

import argparse
import http.client
import itertools
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
# One value per filter; every subset of these is measured (2^6 = 64 combinations).
DIMENSIONS = {
    "diagnosis": "vasc",
    "fitzpatrick": "fitzpatrick_min=5&fitzpatrick_max=6",
    "body_site": "body_site=face,acral",
    "sex": "sex=female",
    "age": "age_min=40&age_max=60",
    "origin": "origin=synthetic",
}
GALLERY_QUERIES = [
    "",
    "diagnosis=mel",
    "fitzpatrick=5",
    "diagnosis=mel&fitzpatrick=6&body_site=face",
    "origin=synthetic&sex=female",
    "age_min=40&age_max=40&licence=CC0-1.0",
    "monk_tone=8&modality=clinical",
]


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile, or None when nothing was measured (every request failed)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1f}"


def combinations() -> list[str]:
    """Every subset of DIMENSIONS as a list query string."""
    out = []
    names = list(DIMENSIONS)
    for size in range(len(names) + 1):
        for subset in itertools.combinations(names, size):
            parts = [
                DIMENSIONS[n] if "=" in DIMENSIONS[n] else f"{n}={DIMENSIONS[n]}" for n in subset
            ]
            out.append("&".join(parts))
    return out


def _templates():
    """Three real demo images (public) and one approved synthetic image: the rows the generated
    ones copy their files and fixed columns from."""
    import hashlib
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from repository.models import LesionImage, User
    from repository.services.moderation import image_publish
    from synthesis.models import SyntheticImage
    from tests.conftest import demo_bytes, demo_rows, ingest
    from tests.factories import ClinicianFactory, ModeratorFactory

    # A re-run finds its accounts (the factory would add a second verification to one).
    clinician = User.objects.filter(username="bench-clinician").first() or ClinicianFactory(
        username="bench-clinician"
    )
    moderator = User.objects.filter(username="bench-moderator").first() or ModeratorFactory(
        username="bench-moderator"
    )
    real = []
    for row in demo_rows()[:3]:
        existing = LesionImage.objects.filter(source_note=f"bench {row['image_id']}").first()
        image = existing or ingest(
            clinician, row["image_id"], source_note=f"bench {row['image_id']}"
        )
        if image.status == "pending":
            image_publish(image=image, moderator=moderator)
        real.append(image)
    synthetic = SyntheticImage.objects.filter(model_version="bench").first()
    if synthetic is None:
        data = demo_bytes(demo_rows()[3]["image_id"])
        name = default_storage.save("synthetic/bench.jpg", ContentFile(data))
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
        synthetic = SyntheticImage.objects.create(
            image=name,
            thumbnail=name,
            sha256=hashlib.sha256(b"bench" + data).hexdigest(),
            width=width,
            height=height,
            method=SyntheticImage.Method.TONE_TRANSFER,
            backend="melanin",
            model_version="bench",
            source_image=real[0],
            diagnosis=real[0].diagnosis,
            fitzpatrick=6,
            licence=real[0].licence,
            created_by=moderator,
            status=SyntheticImage.Status.APPROVED,
        )
    return real, synthetic


def _pick(values) -> str:
    """SQL for one of `values`, uniformly at random (PostgreSQL's seeded random())."""
    array = ",".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return f"(ARRAY[{array}])[1 + floor(random() * {len(values)})::int]"


def _insert_select(model, template_id: int, count: int, start: int, varying: dict) -> str:
    """INSERT … SELECT of `count` rows that copy the template row except `varying` columns."""
    table = model._meta.db_table
    columns, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f'"{f.column}"')
        exprs.append(varying.get(f.column, f't."{f.column}"'))
    return (
        f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(exprs)} '
        f"FROM generate_series({start}, {start + count - 1}) AS g, "
        f'(SELECT * FROM "{table}" WHERE id = {template_id}) AS t'
    )


def seed(rows: int) -> int:
    from django.db import connection

    from repository.models import Diagnosis, LesionImage
    from repository.vocabulary import BodySite, Licence, Modality, Sex
    from synthesis.models import SyntheticImage

    real_templates, synthetic_template = _templates()
    have_real = LesionImage.objects.count()
    have_synthetic = SyntheticImage.objects.count()
    want_synthetic = rows // 10
    want_real = rows - want_synthetic
    diagnoses = list(Diagnosis.objects.values_list("id", flat=True))
    common = {
        "diagnosis_id": f"{_pick(diagnoses)}::int",
        "fitzpatrick": "1 + floor(random() * 6)::int",
        "body_site": _pick(BodySite.values),
        "age_bin": "5 * floor(random() * 19)::int",
        "sex": _pick(Sex.values),
        "licence": _pick(Licence.values),
        # spread over three years, newest last, so pages and cursors behave as in use
        "created_at": "now() - (g * interval '90 seconds')",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        if have_real < want_real:
            varying = {
                **common,
                "sha256": "lpad(to_hex(g), 64, '0')",
                "modality": _pick(Modality.values),
                "monk_tone": (
                    "CASE WHEN random() < 0.2 THEN NULL ELSE 1 + floor(random() * 10)::int END"
                ),
                "lesion_identifier": "'L' || (g / 3)",
                "status": "CASE WHEN random() < 0.9 THEN 'public' ELSE 'pending' END",
                "source_note": "''",
            }
            # one template per batch keeps the files real while the metadata varies
            count = want_real - have_real
            template = real_templates[0]
            cursor.execute(_insert_select(LesionImage, template.pk, count, 1, varying))
        if have_synthetic < want_synthetic:
            varying = {
                **common,
                "sha256": "lpad(to_hex(g), 63, '0') || 's'",
                "seed": "g",
                "model_version": "'bench-gen'",
                "generation_key": "NULL",
            }
            count = want_synthetic - have_synthetic
            cursor.execute(_insert_select(SyntheticImage, synthetic_template.pk, count, 1, varying))
        # Fresh statistics (or the planner misjudges the filters) and a visibility map (so the
        # page ids come from the indexes alone, as on a database autovacuum keeps).
        cursor.execute("VACUUM ANALYZE")
    if have_real < want_real or have_synthetic < want_synthetic:
        # The rows came in by SQL, not through the services that keep the facet counts.
        from repository.services.catalogue_counts import catalogue_counts_rebuild

        t0 = time.perf_counter()
        cells = catalogue_counts_rebuild()
        print(f"  rebuild_catalogue_counts: {cells} cells in {time.perf_counter() - t0:.1f} s")
    return LesionImage.objects.count() + SyntheticImage.objects.count()


CPU: list[float] = []  # this process's CPU milliseconds for each request _timed measured


class WsgiClient:
    """GET requests through the WSGI application that gunicorn serves (pixgen/wsgi.py builds it
    the same way), in this process, as a server calls it: an environ in, the body read, the
    response closed. Not Django's test client: it ties every response to itself (`client`,
    `json` as a partial of the response, `request`), reference cycles no server makes, which
    left whole pages for the garbage collector to free and were measured as server time. Like
    gunicorn, and unlike the test client, each request also runs Django's database connection
    health check."""

    def __init__(self):
        from django.core.wsgi import get_wsgi_application

        self.application = get_wsgi_application()

    def get(self, path: str) -> "Reply":
        import io

        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        body = self.application(environ, lambda line, headers, exc_info=None: status.append(line))
        try:
            content = b"".join(body)
        finally:
            body.close()
        return Reply(int(status[0].split()[0]), content)


class Reply:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self):
        import json

        return json.loads(self.content)


def _timed(client, url: str, repeats: int) -> list[float]:
    """Wall-clock milliseconds of `repeats` requests; their CPU time (Django and the database
    client in this process, not the database server, not time spent waiting for a core) is
    left in CPU, to tell a loaded machine from slow code."""
    client.get(url)  # warm
    times = []
    CPU.clear()
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        CPU.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, (url, response.content[:300])
    return times


def in_process(
    repeats: int, combination_repeats: int, gallery_repeats: int, *, freeze: bool = True
) -> dict:
    from pixgen.gc_tuning import settle_after_startup
    from repository.models import LesionImage

    client = WsgiClient()
    # As pixgen/wsgi.py does in every web process (--gc-default measures without it).
    if freeze:
        settle_after_startup()
    worst: dict = {}
    for url in QUERIES:
        times = _timed(client, url, repeats)
        print(
            f"  list {url[15:]:<75} median {fmt(statistics.median(times))} ms  "
            f"p99 {fmt(percentile(times, 0.99))} ms"
        )
    print(f"  every combination of {', '.join(DIMENSIONS)} ({combination_repeats} each):")
    measured = []
    for combo in combinations():
        url = f"/api/v1/images/?page_size=100{'&' + combo if combo else ''}"
        times = _timed(client, url, combination_repeats)
        measured.append(
            (
                percentile(times, 0.99),
                percentile(times, 0.95),
                percentile(times, 0.50),
                percentile(CPU, 0.50),
                combo or "(no filter)",
            )
        )
    measured.sort(reverse=True)
    over = [c for p, *_rest, c in measured if p > 50]
    print(
        f"    {len(measured)} combinations: worst p99 {fmt(measured[0][0])} ms "
        f"({measured[0][4]}), median of p99s {fmt(statistics.median([m[0] for m in measured]))} "
        f"ms, over 50 ms: {len(over)}"
    )
    for p99, p95, p50, cpu, combo in measured:
        line = f"p50 {fmt(p50)}  p95 {fmt(p95)}  p99 {fmt(p99)}  (cpu p50 {fmt(cpu)}) ms"
        print(f"      {line}  {combo}")
    worst["list_p99"] = measured[0][0]
    ids = list(LesionImage.objects.public().values_list("id", flat=True)[:2000])
    times = []
    for pk in random.Random(1).sample(ids, min(repeats, len(ids))):
        t0 = time.perf_counter()
        assert client.get(f"/api/v1/images/{pk}/").status_code == 200
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"  detail /api/v1/images/<id>/ median {fmt(statistics.median(times))} ms  "
        f"p99 {fmt(percentile(times, 0.99))} ms"
    )
    # A crawler walking 20 pages of 1,000 with the cursor.
    url, t0, pages = "/api/v1/images/?page_size=1000&fields=uid,sha256", time.perf_counter(), 0
    while url and pages < 20:
        body = client.get(url).json()
        url = body["next"] and body["next"].replace("http://localhost", "")
        pages += 1
    print(f"  crawl: {pages} pages of 1,000 rows in {time.perf_counter() - t0:.2f} s")
    worst.update(gallery(client, gallery_repeats))
    return worst


def gallery(client, repeats: int) -> dict:
    """The web gallery: facet counts alone (the service), then the whole page (server time)."""
    from django.core.cache import cache
    from django.http import QueryDict

    from repository.services.gallery import gallery_facets, gallery_query

    facet_times, page_times = [], []
    print(f"  gallery ({repeats} each of {len(GALLERY_QUERIES)} queries):")
    for query in GALLERY_QUERIES:
        params = QueryDict(query)
        times = []
        for _ in range(repeats):
            cache.clear()  # cold: the facet cache would otherwise answer
            t0 = time.perf_counter()
            gallery_facets(gallery_query(params))
            times.append((time.perf_counter() - t0) * 1000)
        facet_times += times
        pages = []
        for _ in range(repeats):
            cache.clear()
            t0 = time.perf_counter()
            response = client.get(f"/images/?{query}")
            pages.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (query, response.content[:300])
        page_times += pages
        print(
            f"    /images/?{query:<45} facets p95 {fmt(percentile(times, 0.95))} ms  "
            f"page p95 {fmt(percentile(pages, 0.95))} ms"
        )
    facets_p95, page_p95 = percentile(facet_times, 0.95), percentile(page_times, 0.95)
    print(f"    all: facet counts p95 {fmt(facets_p95)} ms, gallery page p95 {fmt(page_p95)} ms")
    return {"facets_p95": facets_p95, "page_p95": page_p95}


def under_gunicorn(seconds: float, workers: int, env: dict, timeout: float = 10) -> None:
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
        # Ready when a worker answers, not when the port accepts a connection (the master binds
        # it long before a worker has imported Django on a loaded machine).
        started, answered = time.monotonic(), False
        while not answered and time.monotonic() < started + 180 and server.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", QUERIES[0])
                answered = conn.getresponse().status == 200
            except (OSError, http.client.HTTPException):
                time.sleep(0.5)
        print(
            f"  gunicorn {'answered' if answered else 'did NOT answer'} after "
            f"{time.monotonic() - started:.0f} s"
        )
        latencies: list[float] = []
        errors = [0]
        stop = time.monotonic() + seconds

        def load(n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            i = n
            while time.monotonic() < stop:
                url = QUERIES[i % len(QUERIES)]
                i += 1
                t0 = time.perf_counter()
                try:
                    conn.request("GET", url)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as exc:
                    # A timeout or a dropped connection is an error to report, not a crash.
                    errors[0] += 1
                    kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status != 200:
                    errors[0] += 1
                    kinds[str(response.status)] = kinds.get(str(response.status), 0) + 1

        kinds: dict[str, int] = {}
        threads = [threading.Thread(target=load, args=(n,)) for n in range(workers * 2)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        median = statistics.median(latencies) if latencies else None
        print(
            f"  gunicorn -w {workers}, {workers * 2} client threads, {elapsed:.0f} s: "
            f"{len(latencies) / elapsed:.0f} answered requests/s, median {fmt(median)} ms, "
            f"p99 {fmt(percentile(latencies, 0.99))} ms, errors (timeouts, failures, non-200): "
            f"{errors[0]}{' ' + str(kinds) if kinds else ''}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--combination-repeats", type=int, default=50)
    parser.add_argument("--gallery-repeats", type=int, default=20)
    parser.add_argument(
        "--gallery-only", action="store_true", help="measure only the gallery's facets and page"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--timeout",
        type=float,
        default=10,
        help="seconds an HTTP request may take before it counts as an error (a timeout)",
    )
    parser.add_argument("--http-only", action="store_true", help="measure only over HTTP")
    parser.add_argument(
        "--gc-default",
        action="store_true",
        help="in-process: leave the start-up objects to the garbage collector (no gc.freeze)",
    )
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
    if args.http_only:
        print("over HTTP:")
        under_gunicorn(args.seconds, args.workers, env, args.timeout)
        return
    if args.gallery_only:
        gallery(WsgiClient(), args.gallery_repeats)
        return
    print("in-process (the WSGI application gunicorn serves, called directly, no network):")
    worst = in_process(
        args.repeats, args.combination_repeats, args.gallery_repeats, freeze=not args.gc_default
    )
    targets = (("list_p99", 50), ("facets_p95", 100), ("page_p95", 150))
    print(
        "targets: "
        + ", ".join(
            f"{name} {fmt(worst[name])} ms {'<=' if worst[name] <= limit else '>'} {limit} ms"
            for name, limit in targets
        )
    )
    print("over HTTP:")
    under_gunicorn(args.seconds, args.workers, env, args.timeout)


if __name__ == "__main__":
    main()
