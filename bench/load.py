"""Load: 64 simulated shelter tablets against `disaster-support serve` over loopback.

Run:  .venv/bin/python bench/load.py [--tablets 64] [--seconds 60] [--threads 8]

A large-disaster database (2,500 places, a third open, 50,000 needs); one tablet
token per open shelter. Three phases on the same server, each with every tablet
sending back to back (no pause):
  1. ceiling: GET /healthz only (the trivial endpoint);
  2. need registration only: POST /api/v1/needs (idempotent, a new client id each);
and then, for --seconds,
  3. the mix a shelter network produces, each tablet pausing --pause seconds on
     average between requests (default 1 s: a request a second per tablet, far busier
     than a volunteer tapping; 0.25 s drives this 2-core machine to saturation): record a need
     (30%), update head counts (10%), list the shelter's needs (20%), open the tablet
     page (20%), open the shelter's board (20%).
The tablets run as threads in 4 client processes (one Python process with 64
threads measured its own waiting for the GIL). Prints throughput, p50 / p95 / p99
per endpoint and errors. Targets (issue 10): zero
errors, need registration at least 60% of the ceiling's throughput, p99 under
100 ms in the mix.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from needs import fill_needs  # noqa: E402
from registry import large_city  # noqa: E402

from disaster_support.accounts import devices  # noqa: E402
from disaster_support.audit.log import Actor  # noqa: E402

ACTOR = Actor("bench", "admin", "bench")
SCRIPT = Path(sys.executable).parent / "disaster-support"
CATEGORIES = ("food", "water", "medicine", "interpretation", "information", "hygiene")
LANGUAGES = ("vi", "zh-Hans", "tl", "ne", "ko", "pt", "en", "id")


def percentile(values, share):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))]


class Tablet:
    """One tablet: a keep-alive connection, its shelter and its token."""

    def __init__(self, port, shelter, token, number):
        self.port, self.shelter, self.number = port, shelter, number
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.sent = 0
        self.rng = random.Random(number)

    def request(self, method, path, body=None):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0

    def new_need(self):
        self.sent += 1
        return ("POST", "/api/v1/needs", {
            "client_id": f"load-{self.number:03d}-{self.sent:07d}-{os.getpid()}",
            "shelter_id": self.shelter, "category": self.rng.choice(CATEGORIES),
            "language": self.rng.choice(LANGUAGES), "people": self.rng.randint(1, 6)})

    def pick(self):
        roll = self.rng.random()
        if roll < 0.30:
            return "record a need", *self.new_need()
        if roll < 0.40:
            return "update head counts", "PATCH", f"/api/v1/shelters/{self.shelter}", {
                "evacuees": self.rng.randint(100, 400)}
        if roll < 0.60:
            return "list the shelter's needs", "GET", \
                f"/api/v1/needs?shelter_id={self.shelter}&limit=50", None
        if roll < 0.80:
            return "tablet page", "GET", f"/shelters/{self.shelter}/tablet", None
        return "board", "GET", f"/board/{self.shelter}", None


def run_phase(tablets, seconds, choose, pause=0.0):
    """Every tablet in its own thread for ``seconds``; {label: [ms]}, {label: errors}."""
    times, errors, lock = {}, {}, threading.Lock()
    stop = time.monotonic() + seconds

    def work(tablet):
        while time.monotonic() < stop:
            label, method, path, body = choose(tablet)
            started = time.perf_counter()
            status = tablet.request(method, path, body)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times.setdefault(label, []).append(elapsed)
                if not 200 <= status < 300:
                    errors[label] = errors.get(label, 0) + 1
            if pause:
                time.sleep(tablet.rng.expovariate(1 / pause))

    threads = [threading.Thread(target=work, args=(t,)) for t in tablets]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, time.monotonic() - began


CHOOSERS = {
    "ceiling": lambda t: ("trivial /healthz", "GET", "/healthz", None),
    "needs": lambda t: ("record a need", *t.new_need()),
    "mix": lambda t: t.pick(),
}


def _client(args):
    """One client process: its share of the tablets, each in a thread."""
    port, specs, seconds, mode, pause = args
    tablets = [Tablet(port, s, t, n) for n, s, t in specs]
    return run_phase(tablets, seconds, CHOOSERS[mode], pause)


def run_clients(pool, port, specs, seconds, mode, pause=0.0, processes=4):
    """The tablets spread over client processes: 64 threads in one Python process
    measure their own waiting for the GIL, not the server."""
    shares = [specs[i::processes] for i in range(processes)]
    results = pool.map(_client, [(port, share, seconds, mode, pause) for share in shares])
    times, errors = {}, {}
    for t, e, _ in results:
        for label, values in t.items():
            times.setdefault(label, []).extend(values)
        for label, count in e.items():
            errors[label] = errors.get(label, 0) + count
    return times, errors, max(d for _, _, d in results)


def report(title, times, errors, duration):
    total = sum(len(v) for v in times.values())
    print(f"\n{title}: {total:,} requests in {duration:.1f} s = {total / duration:,.0f} req/s")
    print(f"{'endpoint':28} {'count':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>7}")
    for label, values in sorted(times.items()):
        print(f"{label:28} {len(values):8,} {len(values) / duration:8,.0f} "
              f"{statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
              f"{percentile(values, 0.99):8.1f} {errors.get(label, 0):7}")
    return total / duration


def main(count, seconds, threads, warm, pause):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        app, db = large_city(tmp, 2500)
        fill_needs(db, 50_000, random.Random(7))
        shelters = [r[0] for r in db.execute(
            "SELECT id FROM shelter WHERE status = 'open' ORDER BY id LIMIT ?", [count])]
        tokens = [devices.issue_device(db, s, f"bench tablet {n}", actor=ACTOR, days=1)[1]
                  for n, s in enumerate(shelters)]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        print(f"database: 2,500 places, 50,000 needs, {len(shelters)} tablets "
              f"(filled in {time.perf_counter() - t0:.0f} s); waitress threads: {threads}")
        port = 21000 + os.getpid() % 5000
        server = subprocess.Popen(
            [str(SCRIPT), "serve", "--instance", tmp, "--port", str(port),
             "--threads", str(threads)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "DISASTER_SUPPORT_BACKUP_EVERY_MINUTES": "0"})
        try:
            for _ in range(200):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request(
                        "GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            specs = [(n, s, t) for n, (s, t) in enumerate(zip(shelters, tokens))]
            with multiprocessing.Pool(4) as pool:
                run_clients(pool, port, specs, 2, "ceiling")  # warm-up
                ceiling = report("1. ceiling: GET /healthz, back to back",
                                 *run_clients(pool, port, specs, warm, "ceiling"))
                needs = report("2. need registration, back to back",
                               *run_clients(pool, port, specs, warm, "needs"))
                times, errors, duration = run_clients(pool, port, specs, seconds, "mix", pause)
            report(f"3. mix of {len(specs)} tablets in 4 client processes, {pause:g} s pauses",
                   times, errors, duration)
            every = [v for values in times.values() for v in values]
            print(f"\nneed registration / ceiling: {needs / ceiling:.0%} (target ≥ 60%)")
            print(f"mix p99, all endpoints: {percentile(every, 0.99):.1f} ms (target < 100 ms); "
                  f"errors: {sum(errors.values())} (target 0)")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--phase-seconds", type=int, default=15,
                        help="length of the ceiling and need-registration phases")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="mean pause of a tablet between requests in the mix (s)")
    args = parser.parse_args()
    main(args.tablets, args.seconds, args.threads, args.phase_seconds, args.pause)
