"""Benchmark: what is lost when the worker, the broker or the database fails.

Runs a throw-away PixGen on PostgreSQL (database pixgen_bench_faults, created and dropped
here), a Redis broker this script starts itself on its own port (never the machine's shared
one), gunicorn with four workers, Celery workers and `sweep_jobs --loop`. Three faults:

1. worker killed: SIGKILL of the worker's main process in the middle of a tone-transfer job;
   a new worker is started at once. Reports items lost (neither succeeded nor failed),
   items duplicated (outputs beyond one per item) and time from the kill to the job's end.
2. broker stopped during uploads: API uploads go on while the broker is down for a while.
   Reports 5xx responses, rows without their file, images never analysed, and time from the
   broker's return until every upload is analysed.
3. database connections terminated under load: GET load on the gallery and the API while
   every server connection to the database is terminated once a second. Reports 5xx
   responses and requests served.

    .venv/bin/python bench/faults.py [--items 48] [--uploads 30] [--json out.json]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = "pixgen_bench_faults"
BROKER_PORT = 6390
WEB_PORT = 8790
IMAGES = ROOT.parent / "shared" / "data" / "isic2018-task1"


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def start(cmd, env, log: Path, ready: str | None = None, timeout: float = 120):
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while ready and ready not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{cmd[0]} did not start; see {log}")
        time.sleep(0.2)
    return proc


def stop(proc, sig=signal.SIGTERM):
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


class Stack:
    """The processes of one throw-away deployment."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env = tmp, env
        self.broker = self.web = self.sweep = None
        self.workers: list[subprocess.Popen] = []

    def start_broker(self):
        self.broker = start(
            ["redis-server", "--port", str(BROKER_PORT), "--save", "", "--appendonly", "no"],
            self.env,
            self.tmp / "redis.log",
            ready="Ready to accept connections",
        )

    def start_worker(self):
        n = len(self.workers)
        self.workers.append(
            start(
                [sys.executable, "-m", "celery", "-A", "pixgen", "worker", "--loglevel=INFO",
                 "-Q", "default,training", "--concurrency=1", "--pool=solo",
                 "--without-heartbeat", "--without-gossip", "--without-mingle",
                 f"--hostname=faults-{n}-{os.getpid()}@%h"],
                self.env, self.tmp / f"worker-{n}.log", ready="ready.",
            )
        )  # fmt: skip
        return self.workers[-1]

    def start_web(self):
        self.web = start(
            [sys.executable, "-m", "gunicorn", "pixgen.wsgi", "-w", "4", "-b",
             f"127.0.0.1:{WEB_PORT}", "--timeout", "60"],
            self.env, self.tmp / "web.log", ready="Booting worker",
        )  # fmt: skip
        wait(lambda: _get("/api/v1/images/")[0] == 200, 60, "the web server")

    def start_sweep(self):
        self.sweep = start(
            [sys.executable, "manage.py", "sweep_jobs", "--loop", "--every", "2"],
            self.env,
            self.tmp / "sweep.log",
        )

    def close(self):
        for proc in [*self.workers, self.web, self.sweep, self.broker]:
            stop(proc)


def _get(path: str, headers=None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{WEB_PORT}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def _upload(token: str, path: Path) -> int:
    boundary = uuid.uuid4().hex
    fields = {
        "diagnosis": "mel",
        "fitzpatrick": "5",
        "modality": "dermoscopic",
        "diagnosis_confirmation": "histopathology",
        "body_site": "back",
        "licence": "CC-BY-4.0",
        "consent_attested": "true",
    }
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{path.name}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{WEB_PORT}/api/v1/contributions/",
        data=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Token {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def worker_killed(stack: Stack, users, items: int) -> dict:
    from django.db.models import Count

    from repository.models import LesionImage
    from synthesis.models import JobItem, SynthesisJob, SyntheticImage
    from synthesis.services.jobs import job_create_tone_transfer

    types = (3, 4, 5, 6)
    images = list(LesionImage.objects.public().order_by("pk")[: -(-items // len(types))])
    job = job_create_tone_transfer(
        user=users["moderator"],
        targets=[{"kind": "fitzpatrick", "fitzpatrick": t} for t in types],
        image_ids=[i.pk for i in images],
    )
    wait(
        lambda: SynthesisJob.objects.get(pk=job.pk).items_done >= max(2, items // 4),
        600,
        "the job's first items",
    )
    os.kill(stack.workers[-1].pid, signal.SIGKILL)
    killed_at = time.monotonic()
    stack.workers[-1].wait()
    stack.start_worker()
    job = wait(
        lambda: SynthesisJob.objects.filter(pk=job.pk, status__in=SynthesisJob.FINISHED).first(),
        1800,
        "the job after the kill",
    )
    recovery = time.monotonic() - killed_at
    rows = job.items.all()
    finished = rows.filter(status__in=[JobItem.Status.SUCCEEDED, JobItem.Status.FAILED]).count()
    made = SyntheticImage.objects.filter(job=job)
    doubled = made.values("source_image", "target").annotate(n=Count("pk")).filter(n__gt=1)
    return {
        "items": rows.count(),
        "items_lost": rows.count() - finished,
        "items_failed": rows.filter(status=JobItem.Status.FAILED).count(),
        "outputs_duplicated": made.count()
        - rows.filter(status=JobItem.Status.SUCCEEDED).count()
        + doubled.count(),
        "job_status": job.status,
        "attempts": job.attempts,
        "kill_to_finished_s": round(recovery, 1),
    }


def broker_down(stack: Stack, users, uploads: int, token: str) -> dict:
    from django.core.files.storage import default_storage

    from repository.models import LesionImage

    files = sorted(p for p in IMAGES.rglob("*.jpg"))[:uploads]
    if len(files) < uploads:
        raise SystemExit(f"need {uploads} images under {IMAGES}")
    before = set(LesionImage.objects.values_list("pk", flat=True))
    codes: list[int] = []
    third = uploads // 3
    for path in files[:third]:
        codes.append(_upload(token, path))
    stop(stack.broker, signal.SIGKILL)  # as a crashed broker: no goodbye to its clients
    for path in files[third : 2 * third]:
        codes.append(_upload(token, path))
    stack.start_broker()
    back_at = time.monotonic()
    for path in files[2 * third :]:
        codes.append(_upload(token, path))
    new = LesionImage.objects.exclude(pk__in=before)

    def analysed():
        return not new.filter(analysis_status=LesionImage.AnalysisStatus.PENDING).exists()

    try:
        wait(analysed, 900, "the uploads' analysis")
        recovery = round(time.monotonic() - back_at, 1)
    except SystemExit:
        recovery = None
    without_file = sum(not default_storage.exists(i.image.name) for i in new)
    return {
        "uploads": uploads,
        "accepted_201": codes.count(201),
        "responses_5xx": sum(c >= 500 for c in codes),
        "no_response": codes.count(0),
        "rows": new.count(),
        "rows_without_file": without_file,
        "never_analysed": new.filter(analysis_status=LesionImage.AnalysisStatus.PENDING).count(),
        "broker_back_to_all_analysed_s": recovery,
    }


def database_terminated(seconds: float, token: str) -> dict:
    import psycopg2

    codes: list[int] = []
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()

    def load(path):
        while time.monotonic() < stop_at:
            code, _body = _get(path, {"Authorization": f"Token {token}"})
            with lock:
                codes.append(code)

    threads = [
        threading.Thread(target=load, args=(p,))
        for p in ("/images/", "/api/v1/images/", "/api/v1/images/?fitzpatrick=5", "/")
    ]
    for t in threads:
        t.start()
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    terminated = 0
    while time.monotonic() < stop_at:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [DB],
            )
            terminated += cur.fetchone()[0]
        time.sleep(1)
    for t in threads:
        t.join()
    admin.close()
    return {
        "seconds": seconds,
        "requests": len(codes),
        "ok_200": codes.count(200),
        "responses_5xx": sum(c >= 500 for c in codes),
        "no_response": codes.count(0),
        "connections_terminated": terminated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=48)
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--db-seconds", type=float, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pixgen-faults-"))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="pixgen.settings.development",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{BROKER_PORT}/0",
        PIXGEN_VAR_DIR=str(tmp),
        PIXGEN_MEDIA_ROOT=str(tmp / "media"),
        PIXGEN_JOB_STALE_SECONDS="15",
        PIXGEN_API_ANON_RATE="100000/min",
        PIXGEN_API_TOKEN_RATE="100000/min",
        OMP_NUM_THREADS="1",
    )
    os.environ.update(env)
    run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}"])
    run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {DB}"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from repository.models import LesionImage
    from repository.services.accounts import data_terms_accept
    from repository.services.demo import demo_accounts, demo_images

    call_command("migrate", interactive=False, verbosity=0)
    stack = Stack(tmp, env)
    report: dict = {"cpus": os.cpu_count()}
    try:
        stack.start_broker()
        stack.start_worker()
        stack.start_sweep()
        users = demo_accounts()
        demo_images(contributor=users["clinician"], moderator=users["moderator"])
        wait(
            lambda: not LesionImage.objects.filter(analysis_status="pending").exists(),
            600,
            "the demo images' analysis",
        )
        # The clinician uploads through the API, which needs the data-use terms accepted.
        _token, clinician_key = data_terms_accept(user=users["clinician"])
        stack.start_web()
        report["worker_killed"] = worker_killed(stack, users, args.items)
        print("worker killed:", json.dumps(report["worker_killed"]), flush=True)
        report["broker_down"] = broker_down(stack, users, args.uploads, clinician_key)
        print("broker down:", json.dumps(report["broker_down"]), flush=True)
        connection.close()
        report["database_terminated"] = database_terminated(args.db_seconds, clinician_key)
        print("database terminated:", json.dumps(report["database_terminated"]), flush=True)
    finally:
        stack.close()
        connection.close()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}"],
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
