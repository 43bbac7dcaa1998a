"""`make demo` stopped by SIGTERM (kill, a service manager, a container stop) takes its worker,
web server and sweep with it, as Ctrl-C does."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
def test_sigterm_stops_the_worker_the_web_server_and_the_sweep(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pixgen.settings.development",
        "PIXGEN_VAR_DIR": str(tmp_path),
    }
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "PIXGEN_REQUIRE_SERVICES"):
        env.pop(name, None)  # the embedded default: SQLite and the filesystem broker
    addr = f"127.0.0.1:{_free_port()}"
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--no-demo-data", "--addr", addr],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 240
        seen = []
        for line in demo.stdout:
            seen.append(line)
            if line.startswith("PixGen is at") or time.monotonic() > deadline:
                break
        assert seen and seen[-1].startswith("PixGen is at"), "".join(seen)
        children = _children(demo.pid)
        assert len(children) == 3, children  # worker, web server, sweep
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=90)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if demo.poll() is None:
            demo.kill()
        for pid in {*children, *_children(demo.pid)}:
            if _alive(pid):  # a failed run must not leave a worker behind
                os.kill(pid, signal.SIGKILL)
