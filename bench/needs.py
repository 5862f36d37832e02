"""Needs at large-disaster scale: server time of the queue, the situation view
and the tablet page.

Run:  .venv/bin/python bench/needs.py [--shelters 2500] [--needs 50000] [--requests 60]

Fills a database with the real Sagamihara places plus jittered copies, open
shelters with foreign evacuees in 16 languages (Sagamihara's skew), and needs
of every category and status; then times requests through the WSGI app with a
signed-in coordinator and a shelter tablet. Prints median and p95 (ms) and the
ratio to /healthz on the same app.
"""

import argparse
import datetime
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from registry import large_city  # noqa: E402

from disaster_support.accounts import devices, users  # noqa: E402
from disaster_support.audit.log import Actor  # noqa: E402
from disaster_support.demo import LANGUAGE_WEIGHTS, NEED_WEIGHTS  # noqa: E402
from disaster_support.live.feed import latest  # noqa: E402

ACTOR = Actor("bench", "admin", "bench")


def fill_needs(db, count, rng):
    shelters = [r[0] for r in db.execute("SELECT id FROM shelter WHERE status = 'open'")]
    languages, lw = zip(*LANGUAGE_WEIGHTS.items())
    categories, cw = zip(*NEED_WEIGHTS.items())
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for n in range(count):
        at = (now - datetime.timedelta(minutes=rng.randrange(1, 3 * 1440))).replace(
            microsecond=0).isoformat()
        status = rng.choices(["open", "matched", "in_progress", "resolved", "cancelled"],
                             [50, 10, 15, 22, 3])[0]
        rows.append((f"bench-{n:08d}", rng.choice(shelters), rng.choices(categories, cw)[0],
                     rng.choices(languages, lw)[0], rng.choice([1, 1, 2, 3, 4, 6]),
                     rng.choices(["critical", "high", "normal", "low"], [1, 4, 12, 3])[0],
                     status, at, "bench", at))
    with db.conn:
        db.conn.executemany(
            "INSERT INTO need (client_id, shelter_id, category, language, people, urgency, "
            "status, created_at, created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        db.conn.execute("INSERT INTO need_event (need_id, at, actor, via, to_status) "
                        "SELECT id, created_at, 'bench', 'bench', 'open' FROM need")
    db.execute("ANALYZE")


def p95(values):
    return statistics.quantiles(values, n=20)[18]


def main(shelters, needs, repeat):
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app, db = large_city(tmp, shelters)
        start = time.perf_counter()
        fill_needs(db, needs, rng)
        unresolved = db.execute("SELECT count(*) FROM need WHERE status IN "
                                "('open', 'matched', 'in_progress')").fetchone()[0]
        print(f"filled {db['shelter'].count:,} places, {db['need'].count:,} needs "
              f"({unresolved:,} unresolved) in {time.perf_counter() - start:.1f} s")
        user_id = users.create_user(db, "bench", "coordinator", "bench password", actor=ACTOR)
        busiest = db.execute("SELECT shelter_id FROM need GROUP BY shelter_id "
                             "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        _, token = devices.issue_device(db, busiest, "bench tablet", actor=ACTOR)

        coordinator = app.test_client()
        with coordinator.session_transaction() as session:
            # signed in as the sign-in page does: a session the server keeps
            session.update(uid=user_id, epoch=0, sid=users.start_session(db, user_id))
        tablet = app.test_client()
        tablet.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        cases = [
            ("trivial /healthz", coordinator, "/healthz"),
            ("queue, first page", coordinator, "/needs"),
            ("queue, language ne", coordinator, "/needs?language=ne"),
            ("queue, ward + older 2 h", coordinator, "/needs?ward=chuo&older_than=120"),
            ("situation, city", coordinator, "/situation"),
            ("situation, ward", coordinator, "/situation?ward=minami"),
            ("API situation", coordinator, "/api/v1/situation"),
            # what every open coordinator page asks every 3 s (live.js)
            ("change feed, nothing new", coordinator, f"/live/changes?after={latest(db)}"),
            ("change feed, 100 behind", coordinator,
             f"/live/changes?after={latest(db) - 100}"),
            ("tablet page", tablet, f"/shelters/{busiest}/tablet"),
        ]
        print(f"\n{repeat} requests each (ms; ratio = median / median of /healthz)")
        print(f"{'endpoint':28} {'median':>8} {'p95':>8} {'ratio':>7} {'KB':>6}")
        baseline = None
        for label, client, url in cases:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            median = statistics.median(times)
            baseline = baseline or median
            print(f"{label:28} {median:8.2f} {p95(times):8.2f} {median / baseline:7.0f} "
                  f"{len(response.data) / 1024:6.1f}")
        # writes: each a new need (a fresh client id) or a new head count, one
        # transaction each, with the change feed's triggers and the audit log
        writes = [
            ("write: tablet need (API)", "POST", "/api/v1/needs", lambda n: {
                "client_id": f"bench-write-{n:06d}", "shelter_id": busiest,
                "category": "water", "language": "vi", "people": 2}),
            ("write: shelter update (API)", "PATCH", f"/api/v1/shelters/{busiest}",
             lambda n: {"evacuees": 100 + n}),
        ]
        for label, method, url, body in writes:
            times = []
            for n in range(repeat):
                t0 = time.perf_counter()
                response = tablet.open(url, method=method, json=body(n))
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code in (200, 201), (url, response.get_data(as_text=True))
            median = statistics.median(times)
            print(f"{label:28} {median:8.2f} {p95(times):8.2f} {median / baseline:7.0f} "
                  f"{len(response.data) / 1024:6.1f}")
        db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shelters", type=int, default=2500)
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    main(args.shelters, args.needs, args.requests)
