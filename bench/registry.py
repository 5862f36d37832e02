"""Shelter registry figures: import speed and server time of the registry pages.

Run:  .venv/bin/python bench/registry.py [--shelters 168 2500] [--requests 60]

Prints medians and p95 in milliseconds and as a ratio to /healthz on the same
app (ratios travel between machines; milliseconds do not). Server time is
measured through the WSGI app (Flask's test client), without network.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from disaster_support import create_app  # noqa: E402
from disaster_support.accounts import users  # noqa: E402
from disaster_support.audit.log import Actor  # noqa: E402
from disaster_support.db import connect, utcnow  # noqa: E402
from disaster_support.demo import LANGUAGE_WEIGHTS  # noqa: E402
from disaster_support.shelters.importer import import_shelters, read_source  # noqa: E402


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values):
    return statistics.quantiles(values, n=20)[18]


def bench_import(repeat):
    files = [ROOT / "shelters" / n for n in ("sagamihara_gsi_designated_shelters.csv",
                                             "sagamihara_gsi_emergency_sites.csv")]
    sources = [read_source(f) for f in files]
    firsts, agains = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"TESTING": True}, instance_path=tmp)
            db = connect(app.config["DATABASE"])
            with app.app_context():
                city = app.extensions["city"]
                firsts += timed(lambda: import_shelters(db, sources, city), 1)
                agains += timed(lambda: import_shelters(db, sources, city), 1)
            db.close()
    rows = 105 + 168
    print(f"import Sagamihara GSI pair ({rows} rows → 168 places): first "
          f"{statistics.median(firsts):.1f} ms, re-import (unchanged) "
          f"{statistics.median(agains):.1f} ms, median of {repeat}")


def fill(db, shelters):
    """Copies of the real places with new IDs, jittered, a third of them open."""
    rng = random.Random(1)
    base = list(db.query("SELECT * FROM shelter"))
    tags, weights = zip(*LANGUAGE_WEIGHTS.items())
    now = utcnow()
    with db.conn:
        for n in range(shelters - len(base)):
            row = dict(rng.choice(base))
            row["id"] = f"X{n:08d}"
            row["site_id"] = None
            row["lat"] += rng.uniform(-0.05, 0.05)
            row["lon"] += rng.uniform(-0.05, 0.05)
            row["created_at"] = row["updated_at"] = now
            if rng.random() < 0.33:
                row["status"] = "open"
                row["capacity"] = rng.randrange(200, 1500)
                row["evacuees"] = rng.randrange(20, row["capacity"])
            db["shelter"].insert(row)
            if row["status"] == "open":
                counts = {}
                for tag in rng.choices(tags, weights, k=max(1, row["evacuees"] // 20)):
                    counts[tag] = counts.get(tag, 0) + 1
                for tag, people in counts.items():
                    db.execute("INSERT INTO shelter_language VALUES (?, ?, ?)",
                               [row["id"], tag, people])


def large_city(folder, shelters):
    """An app on ``folder`` with the real places plus copies up to ``shelters``."""
    app = create_app({"TESTING": True}, instance_path=folder)
    db = connect(app.config["DATABASE"])
    with app.app_context():
        files = [ROOT / "shelters" / name for name in app.extensions["city"].default_files]
        import_shelters(db, [read_source(f) for f in files], app.extensions["city"])
    fill(db, shelters)
    return app, db


def bench_pages(shelters, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        app, db = large_city(tmp, shelters)
        one = db.execute("SELECT id FROM shelter ORDER BY status = 'open' DESC, id "
                         "LIMIT 1").fetchone()[0]
        user_id = users.create_user(db, "bench", "coordinator", "bench password",
                                    actor=Actor("bench", "admin", "bench"))
        client = app.test_client()
        with client.session_transaction() as session:
            # signed in as the sign-in page does: a session the server keeps
            session.update(uid=user_id, epoch=0, sid=users.start_session(db, user_id))
        urls = {
            "trivial /healthz": "/healthz",
            "overview /": "/",
            "list (first page, 50)": "/shelters/",
            "list open by occupancy": "/shelters/?status=open&sort=occupancy",
            "list by language vi": "/shelters/?language=vi",
            "shelter page": f"/shelters/{one}",
            "API list ward chuo": "/api/v1/shelters?ward=chuo",
            "public board map": "/board/map?lang=en",
        }
        print(f"\nserver time with {db['shelter'].count:,} places, {repeat} requests each "
              "(ms; ratio = median / median of /healthz)")
        print(f"{'endpoint':28} {'median':>8} {'p95':>8} {'ratio':>7} {'KB':>7}")
        baseline = None
        for label, url in urls.items():
            response = client.get(url)  # warm caches
            assert response.status_code == 200, (url, response.status_code)
            sizes = []
            times = timed(lambda: sizes.append(len(client.get(url).data)), repeat)
            median = statistics.median(times)
            baseline = baseline or median
            print(f"{label:28} {median:8.2f} {p95(times):8.2f} {median / baseline:7.1f} "
                  f"{sizes[-1] / 1024:7.1f}")
        db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shelters", type=int, nargs="+", default=[168, 2500],
                        help="sizes to measure (168: Sagamihara's real places)")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    bench_import(repeat=5)
    for size in args.shelters:
        bench_pages(size, args.requests)
