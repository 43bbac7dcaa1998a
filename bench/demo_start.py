"""Benchmark: `make demo` from its start to "PixGen is at", on a fresh database each run.

Runs the real command (`make demo`, or `manage.py rundemo` with --no-make) in a throw-away
PIXGEN_VAR_DIR on a free port, echoes its console with the seconds since start, stops it with
Ctrl-C once the address is printed, and reports per run: seconds to "PixGen is at", the CPU
seconds each process of the demo used by then (the main command, the worker's parent and its
two pool processes, the web server, the sweep) and the load average before and after. The
target is under a minute on a machine that is not busy with other work; on a loaded machine
the CPU seconds say more than the wall time.

    .venv/bin/python bench/demo_start.py [--runs 3] [--no-make] [--json out.json]
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY = "PixGen is at"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(session: int) -> list[tuple[str, float]]:
    """(command line, CPU seconds) of every live process in the demo's session."""
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:
                continue
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        # utime, stime, and those of its children that ended and were waited for
        out.append((cmd.strip(), sum(int(v) for v in fields[11:15]) / tick))
    return sorted(out, key=lambda row: -row[1])


def one_run(use_make: bool, timeout_s: float) -> dict:
    var = Path(tempfile.mkdtemp(prefix="pixgen-demo-bench-"))
    addr = f"127.0.0.1:{free_port()}"
    if use_make:
        command = ["make", "demo", f"DEMO_ARGS=--addr {addr}"]
    else:
        command = [sys.executable, "manage.py", "rundemo", "--addr", addr]
    env = dict(os.environ, PIXGEN_VAR_DIR=str(var))
    load_before = os.getloadavg()
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    result: dict = {"command": " ".join(command), "load_before": load_before}
    phases = []
    try:
        for line in proc.stdout:
            elapsed = time.monotonic() - started
            print(f"{elapsed:6.1f}  {line.rstrip()}", flush=True)
            if line.strip() and not line.startswith(" "):
                phases.append((round(elapsed, 1), line.strip()[:80]))
            if READY in line:
                result["seconds"] = round(elapsed, 1)
                result["load_after"] = os.getloadavg()
                result["processes"] = process_cpu(proc.pid)
                break
            if elapsed > timeout_s:
                result["error"] = f"no {READY!r} within {timeout_s:.0f} s"
                break
        else:
            result["error"] = f"the demo ended (exit {proc.wait()}) before {READY!r}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: rundemo stops its processes
            try:
                proc.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(var, ignore_errors=True)
    result["phases"] = phases
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-make", action="store_true", help="run manage.py rundemo directly")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run at most")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    runs = []
    for number in range(1, args.runs + 1):
        print(f"--- run {number} of {args.runs}", flush=True)
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = one_run(not args.no_make, args.timeout)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Everything the run's processes used, start-up to shutdown (all of them were waited for).
        run["cpu_seconds_total"] = round(
            cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 1
        )
        runs.append(run)
    print("\nrun  to 'PixGen is at'  CPU s (whole run)  load average before -> after (1 min)")
    for number, run in enumerate(runs, 1):
        seconds = f"{run['seconds']:.1f} s" if "seconds" in run else run.get("error", "?")
        after = run.get("load_after", (float("nan"),))[0]
        print(
            f"{number:>3}  {seconds:>18}  {run['cpu_seconds_total']:>17.1f}  "
            f"{run['load_before'][0]:.1f} -> {after:.1f}"
        )
        for cmd, cpu in run.get("processes", []):
            print(f"       {cpu:6.1f} CPU s by then  {cmd[:100]}")
    done = [run["seconds"] for run in runs if "seconds" in run]
    if done:
        print(f"median {statistics.median(done):.1f} s to {READY!r} over {len(done)} run(s)")
    if len(done) < len(runs):
        print(f"{len(runs) - len(done)} run(s) did not reach {READY!r}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    sys.exit(0 if len(done) == len(runs) else 1)


if __name__ == "__main__":
    main()
