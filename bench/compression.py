"""Bytes on the wire with and without gzip, on the demo: what a tablet on a mobile
network downloads for the pages it reloads most, and what packing costs the server.

Run:  .venv/bin/python bench/compression.py [--requests 30]

Prints each page's size plain and gzipped (the ratio travels between machines) and the
median server time of packing it (gzip level 5) as a ratio to /healthz.
"""

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from disaster_support import create_app  # noqa: E402
from disaster_support.accounts import users  # noqa: E402
from disaster_support.compression import LEVEL  # noqa: E402
from disaster_support.db import get_db  # noqa: E402
from disaster_support.demo import demo_accounts, load_demo  # noqa: E402

PAGES = ["/shelters/?lang=en", "/needs?lang=en", "/situation?lang=en", "/map?lang=en",
         "/board/{shelter}?lang=vi"]


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"TESTING": True}, instance_path=tempfile.mkdtemp())
    with app.app_context():
        summary = load_demo(app)
        db = get_db()
        demo_accounts(db, summary["first_open"])
        user_id = db.execute("SELECT id FROM user WHERE username = 'coordinator'").fetchone()[0]
        token = users.start_session(db, user_id)
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(uid=user_id, epoch=0, sid=token)
    healthz = median_ms(lambda: client.get("/healthz"), args.requests)
    print(f"/healthz: {healthz:.2f} ms (the unit of the ratios)")
    print(f"{'page':34} {'plain':>9} {'gzip':>8} {'ratio':>6} {'packing':>9}")
    for page in PAGES:
        url = page.format(shelter=summary["first_open"])
        plain = client.get(url).data
        packed = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert packed.headers.get("Content-Encoding") == "gzip", url
        assert gzip.decompress(packed.data)[:200] == plain[:200], url
        packing = median_ms(lambda: gzip.compress(plain, compresslevel=LEVEL, mtime=0),
                            args.requests)
        ratio = len(plain) / len(packed.data)
        print(f"{url:34} {len(plain):9,} {len(packed.data):8,} {ratio:6.1f} "
              f"{packing / healthz:8.2f}×")


if __name__ == "__main__":
    main()
