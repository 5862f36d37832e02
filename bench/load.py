"""Load: 64 simulated shelter tablets against `disaster-support serve` over loopback.

Run:  .venv/bin/python bench/load.py [--tablets 64] [--seconds 60] [--server granian]
      [--workers 2] [--threads 4] [--wrk]

A large-disaster database (2,500 places, a third open, 50,000 needs); one tablet
token per open shelter. Phases on the same server:
  1. ceiling: GET /healthz only (the trivial endpoint), back to back;
  2. need registration only: POST /api/v1/needs (idempotent, a new client id each);
  3. for --seconds, the mix a shelter network produces, each tablet starting at a
     random moment of its first pause and pausing --pause seconds on average between
     requests (default 1 s: a request a second per tablet, far busier than a volunteer
     tapping): record a need (30%), update head counts (10%), list the shelter's needs
     (20%), open the tablet page (20%), open the shelter's board (20%);
  4. reconnect burst: after an outage every tablet comes back at the same instant on a
     new connection and sends its outbox (--outbox needs) back to back; prints how long
     until every outbox was empty, and the latencies.
The tablets run as threads in 4 client processes (one Python process with 64
threads measured its own waiting for the GIL). With --wrk, phases 1-3 are driven by
Debian's wrk (Lua scripts in bench/wrk/; `apt install wrk`) instead: a client in C,
so the server, not the Python client, is what is measured.
--server waitress runs the previous release's server (waitress, --threads threads,
one process) on the same database, for the side-by-side figures.
Prints throughput, p50 / p95 / p99 per endpoint and errors. Targets (issues 10, 22):
zero errors, need registration at least 60% of the ceiling's throughput, p99 under
100 ms in the mix.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
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
WRK_SCRIPTS = ROOT / "bench" / "wrk"
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
    """Every tablet in its own thread for ``seconds``; {label: [ms]}, {label: errors}.
    With pauses, each tablet starts at a random moment of its first pause: tablets
    that all fire at the same instant measure their own stampede, not the network."""
    times, errors, lock = {}, {}, threading.Lock()
    stop = time.monotonic() + seconds

    def work(tablet):
        if pause:
            time.sleep(tablet.rng.uniform(0, pause))
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


def run_burst(tablets, outbox, at):
    """Every tablet back at once (wall-clock ``at``, the same in every client process)
    after an outage, on a new connection, sending its outbox back to back;
    {label: [ms]}, {label: errors}, seconds until all were sent."""
    times, errors, lock = {}, {}, threading.Lock()

    def work(tablet):
        tablet.connection.close()  # the outage dropped it
        time.sleep(max(0.0, at - time.time()))
        for _ in range(outbox):
            started = time.perf_counter()
            status = tablet.request(*tablet.new_need())
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times.setdefault("outbox need", []).append(elapsed)
                if not 200 <= status < 300:
                    errors["outbox need"] = errors.get("outbox need", 0) + 1

    threads = [threading.Thread(target=work, args=(t,)) for t in tablets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, time.time() - at


CHOOSERS = {
    "ceiling": lambda t: ("trivial /healthz", "GET", "/healthz", None),
    "needs": lambda t: ("record a need", *t.new_need()),
    "mix": lambda t: t.pick(),
}


def _client(args):
    """One client process: its share of the tablets, each in a thread."""
    port, specs, seconds, mode, pause = args
    tablets = [Tablet(port, s, t, n) for n, s, t in specs]
    if mode == "burst":
        return run_burst(tablets, seconds, pause)
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


def start_server(folder, port, server, workers, threads):
    env = {**os.environ, "DISASTER_SUPPORT_BACKUP_EVERY_MINUTES": "0",
           "DISASTER_SUPPORT_INSTANCE": folder}
    if server == "waitress":  # the previous release's `serve`
        command = [sys.executable, "-m", "waitress", f"--port={port}",
                   f"--threads={threads}", "--call", "disaster_support:create_app"]
    else:
        command = [str(SCRIPT), "serve", "--instance", folder, "--port", str(port),
                   "--workers", str(workers), "--threads", str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env, start_new_session=True)
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def stop_server(process):
    os.killpg(process.pid, signal.SIGTERM)  # the supervisor and its workers
    process.wait(timeout=30)


def wrk_phase(title, port, script, seconds, connections, lua_data, *script_args):
    """One phase driven by wrk: throughput and its latency percentiles (all requests)."""
    env = {**os.environ, "LOAD_TABLETS": str(lua_data)}
    command = ["wrk", "--latency", f"-t{min(4, connections)}", f"-c{connections}",
               f"-d{seconds}s", "-s", str(WRK_SCRIPTS / script), f"http://127.0.0.1:{port}",
               "--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, env=env,
                            check=True).stdout
    print(f"\n{title} (wrk, {connections} connections)")
    for line in output.splitlines():
        if line.strip().startswith(("50%", "90%", "99%", "Requests/sec", "Non-2xx",
                                    "Socket errors")) or "requests in" in line:
            print("  " + line.strip())
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return float(rate.group(1)) if rate else float("nan")


def write_lua_tablets(path, specs):
    rows = ",\n".join(f'  {{shelter = "{s}", token = "{t}"}}' for _, s, t in specs)
    Path(path).write_text(f"return {{\n{rows}\n}}\n")


def main(args):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        app, db = large_city(tmp, 2500)
        fill_needs(db, 50_000, random.Random(7))
        shelters = [r[0] for r in db.execute(
            "SELECT id FROM shelter WHERE status = 'open' ORDER BY id LIMIT ?",
            [args.tablets])]
        tokens = [devices.issue_device(db, s, f"bench tablet {n}", actor=ACTOR, days=1)[1]
                  for n, s in enumerate(shelters)]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        shape = (f"{args.workers} processes × {args.threads} threads"
                 if args.server == "granian" else f"1 process × {args.threads} threads")
        print(f"database: 2,500 places, 50,000 needs, {len(shelters)} tablets "
              f"(filled in {time.perf_counter() - t0:.0f} s); server: {args.server}, {shape}")
        port = 21000 + os.getpid() % 5000
        server = start_server(tmp, port, args.server, args.workers, args.threads)
        specs = [(n, s, t) for n, (s, t) in enumerate(zip(shelters, tokens))]
        try:
            if args.wrk:
                lua_data = Path(tmp) / "tablets.lua"
                write_lua_tablets(lua_data, specs)
                wrk_phase("warm-up", port, "healthz.lua", 2, len(specs), lua_data)
                ceiling = wrk_phase("1. ceiling: GET /healthz, back to back", port,
                                    "healthz.lua", args.phase_seconds, len(specs), lua_data)
                needs = wrk_phase("2. need registration, back to back", port,
                                  "requests.lua", args.phase_seconds, len(specs), lua_data,
                                  "needs")
                wrk_phase("3. mix, back to back (wrk has no pauses: a saturation figure)",
                          port, "requests.lua", args.seconds, len(specs), lua_data, "mix")
                print(f"\nneed registration / ceiling: {needs / ceiling:.0%}")
                return
            with multiprocessing.Pool(4) as pool:
                run_clients(pool, port, specs, 2, "ceiling")  # warm-up
                ceiling = report("1. ceiling: GET /healthz, back to back",
                                 *run_clients(pool, port, specs, args.phase_seconds,
                                              "ceiling"))
                needs = report("2. need registration, back to back",
                               *run_clients(pool, port, specs, args.phase_seconds, "needs"))
                times, errors, duration = run_clients(pool, port, specs, args.seconds, "mix",
                                                      args.pause)
                report(f"3. mix of {len(specs)} tablets in 4 client processes, "
                       f"{args.pause:g} s pauses, random starts", times, errors, duration)
                burst = run_clients(pool, port, specs, args.outbox, "burst",
                                    time.time() + 1.0)
                report(f"4. reconnect burst: {len(specs)} tablets back at once, "
                       f"{args.outbox} needs each in the outbox", *burst)
            every = [v for values in times.values() for v in values]
            print(f"\nneed registration / ceiling: {needs / ceiling:.0%} (target ≥ 60%)")
            print(f"mix p99, all endpoints: {percentile(every, 0.99):.1f} ms (target < 100 ms); "
                  f"errors: {sum(errors.values())} (target 0)")
            print(f"reconnect burst: every outbox empty after {burst[2]:.2f} s; errors: "
                  f"{sum(burst[1].values())}")
        finally:
            stop_server(server)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--phase-seconds", type=int, default=15,
                        help="length of the ceiling and need-registration phases")
    parser.add_argument("--server", choices=("granian", "waitress"), default="granian")
    parser.add_argument("--workers", type=int, default=2, help="server processes (granian)")
    parser.add_argument("--threads", type=int, default=4, help="threads per server process")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="mean pause of a tablet between requests in the mix (s)")
    parser.add_argument("--outbox", type=int, default=10,
                        help="needs in each tablet's outbox in the reconnect burst")
    parser.add_argument("--wrk", action="store_true", help="drive phases 1-3 with wrk")
    main(parser.parse_args())
