"""Benchmark: a 100-item tone-transfer job end to end through a real Celery worker process.

Sets up a throw-away PixGen (SQLite and the filesystem broker in a temp folder, or the
database/broker you name), imports the demo set, waits for its analysis, then times one job of
25 public images x Fitzpatrick III-VI from commit to the job's SUCCEEDED, and reports items/s
and per-item latency (median, p95) measured by the worker.

    .venv/bin/python bench/tone_job.py [--backend melanin] [--items 100] [--json out.json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pixgen_bench \
      CELERY_BROKER_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/tone_job.py
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def start_worker(env: dict, log: Path, concurrency: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "pixgen", "worker", "--loglevel=INFO",
            "-Q", "default,training", f"--concurrency={concurrency}",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
            f"--hostname=bench-{os.getpid()}@%h",
        ],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while "ready." not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log}")
        time.sleep(0.3)
    return proc


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="melanin")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pixgen-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "pixgen.settings.development"
    os.environ["PIXGEN_VAR_DIR"] = str(tmp)
    os.environ["PIXGEN_MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("PIXGEN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from repository.models import LesionImage
    from repository.services.demo import demo_accounts, demo_images
    from synthesis.models import SynthesisJob
    from synthesis.services.jobs import job_create_tone_transfer

    call_command("migrate", interactive=False, verbosity=0)
    worker = start_worker(dict(os.environ), tmp / "worker.log", args.concurrency)
    try:
        users = demo_accounts()
        demo_images(contributor=users["clinician"], moderator=users["moderator"])
        wait(
            lambda: not LesionImage.objects.filter(analysis_status="pending").exists(),
            300,
            "the demo images' analysis",
        )
        types = (3, 4, 5, 6)
        n_images = -(-args.items // len(types))
        images = list(LesionImage.objects.public().order_by("pk")[:n_images])
        started = time.perf_counter()
        job = job_create_tone_transfer(
            user=users["moderator"],
            targets=[{"kind": "fitzpatrick", "fitzpatrick": t} for t in types],
            image_ids=[i.pk for i in images],
            backend=args.backend,
        )
        job = wait(
            lambda: SynthesisJob.objects.filter(
                pk=job.pk, status__in=SynthesisJob.FINISHED
            ).first(),
            3600,
            "the job",
        )
        wall = time.perf_counter() - started
        items = list(job.items.exclude(started_at=None).exclude(finished_at=None))
        per_item = sorted((i.finished_at - i.started_at).total_seconds() for i in items)
        queue_wait = (job.started_at - job.created_at).total_seconds()
        report = {
            "backend": args.backend,
            "database": connection.vendor,
            "items": job.items_total,
            "succeeded": job.items_done,
            "failed": job.items_failed,
            "status": job.status,
            "wall_s": round(wall, 2),
            "items_per_s": round(job.items_done / wall, 3),
            "queue_wait_s": round(queue_wait, 3),
            "item_median_s": round(statistics.median(per_item), 3),
            "item_p95_s": round(per_item[max(0, round(0.95 * len(per_item)) - 1)], 3),
            "in_band": sum(bool(i.result and i.result.in_band) for i in items),
            "concurrency": args.concurrency,
            "cpus": os.cpu_count(),
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    print(
        f"{report['items']} items ({report['backend']}, {report['database']}): "
        f"{report['succeeded']} succeeded, {report['failed']} failed in {report['wall_s']} s "
        f"= {report['items_per_s']} items/s; per item median {report['item_median_s']} s, "
        f"p95 {report['item_p95_s']} s; {report['in_band']} in the target band"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
