"""Maps at large-disaster scale: page size, server time, and time to render in
headless Chromium, for 2,500 and 25,000 places.

Run:  .venv/bin/python bench/maps.py [--shelters 2500 25000] [--requests 20]

Fills a database with the real Sagamihara places plus jittered copies (a third
open, foreign evacuees in 16 languages) and 20 needs per open place, then:
- HTML + data: bytes of /map (coordinator) and /board/map (public), and of the
  map libraries they load once (cached for a year after that);
- server time through the WSGI app (median, p95, ratio to /healthz);
- render time: `disaster-support serve` on that database, headless Chromium
  (Debian's chromium), from navigation start until the last marker is in
  (the page's data-map-ready mark), cold cache and warm (median of 3).
Targets (issue 7): 2,500 places under 400 KB, under 200 ms to generate, under 2 s
to render.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from needs import fill_needs  # noqa: E402
from registry import large_city  # noqa: E402

from disaster_support.accounts import users  # noqa: E402
from disaster_support.audit.log import Actor  # noqa: E402
from disaster_support.db import connect  # noqa: E402

ACTOR = Actor("bench", "admin", "bench")
PASSWORD = "bench password 2026"
CHROMIUM = "/usr/bin/chromium"
SCRIPT = Path(sys.executable).parent / "disaster-support"


def p95(values):
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def build(folder, shelters):
    app, db = large_city(folder, shelters)
    open_places = db.execute("SELECT count(*) FROM shelter WHERE status = 'open'").fetchone()[0]
    fill_needs(db, 20 * open_places, random.Random(7))
    users.create_user(db, "bench", "coordinator", PASSWORD, actor=ACTOR)
    user_id = db.execute("SELECT id FROM user WHERE username = 'bench'").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = (db["shelter"].count, db["need"].count)
    db.close()
    return app, user_id, counts


def server_times(app, user_id, repeat):
    client = app.test_client()
    db = connect(app.config["DATABASE"])
    token = users.start_session(db, user_id)  # signed in as the sign-in page does
    db.close()
    with client.session_transaction() as session:
        session.update(uid=user_id, epoch=0, sid=token)
    results = {}
    for label, url in (("/healthz", "/healthz"), ("coordinator /map", "/map"),
                       ("coordinator /map?language=vi", "/map?language=vi"),
                       ("public /board/map", "/board/map")):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        results[label] = (statistics.median(times), p95(times), len(response.data))
        if url == "/map":
            html = response.get_data(as_text=True)
            files = re.findall(r'(?:src|href)="(/(?:vendor|static)/[^"]+\.(?:js|css|svg)[^"]*)"',
                               html)
            results["libraries"] = sum(len(client.get(src).data) for src in files)
            # what a browser fetches on its first visit, as it travels (gzip), tiles aside
            packed = {"Accept-Encoding": "gzip"}
            results["first load on the wire"] = len(client.get(url, headers=packed).data) + sum(
                len(client.get(src, headers=packed).data) for src in files)
            # and a reload of the unchanged map: its data kept, the page answered 304
            tag = client.get(url).headers.get("ETag")
            results["reload of an unchanged map"] = client.get(
                url, headers={"If-None-Match": tag or ""}).status_code
    return results


def render_times(folder, port):
    from playwright.sync_api import sync_playwright

    process = subprocess.Popen([str(SCRIPT), "serve", "--instance", str(folder),
                                "--port", str(port), "--threads", "4"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(100):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-background-networking",
                      "--disable-component-update", "--disable-gpu"])
            for label, url, sign_in in (("coordinator /map", "/map", True),
                                        ("public /board/map", "/board/map", False)):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                if sign_in:
                    page.goto(base + "/sign-in")
                    page.fill("input[name=username]", "bench")
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button.primary")
                    page.wait_for_load_state()
                marks = []
                for _ in range(4):  # the first with a cold cache
                    page.goto(base + url)
                    page.wait_for_selector("html[data-map-ready]", state="attached",
                                           timeout=120_000)
                    marks.append(int(page.get_attribute("html", "data-map-ready")))
                markers = page.locator(".leaflet-marker-icon, path.shelter").count()
                results[label] = (marks[0], statistics.median(marks[1:]), markers)
                context.close()
            browser.close()
        return results
    finally:
        process.terminate()
        process.wait(timeout=20)


def main(sizes, repeat):
    for shelters in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            app, user_id, (places, needs) = build(tmp, shelters)
            print(f"\n== {places:,} places, {needs:,} needs (filled in "
                  f"{time.perf_counter() - t0:.0f} s)")
            server = server_times(app, user_id, repeat)
            baseline = server.pop("/healthz")[0]
            print(f"map libraries (loaded once, cached): {server.pop('libraries') / 1024:.0f} KB")
            print(f"first load on the wire (gzip, tiles aside): "
                  f"{server.pop('first load on the wire') / 1024:.0f} KB")
            print(f"reload of an unchanged map: HTTP {server.pop('reload of an unchanged map')} "
                  f"(its If-None-Match, as a live redraw sends it)")
            print(f"{'page':30} {'KB':>7} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
            for label, (median, high, size) in server.items():
                print(f"{label:30} {size / 1024:7.0f} {median:10.1f} {high:8.1f} "
                      f"{median / baseline:7.0f}")
            if Path(CHROMIUM).exists():
                port = 20000 + os.getpid() % 10000
                print(f"{'render in Chromium':30} {'cold ms':>8} {'warm ms':>8} {'elements':>9}")
                for label, (cold, warm, markers) in render_times(tmp, port).items():
                    print(f"{label:30} {cold:8.0f} {warm:8.0f} {markers:9}")
            else:
                print("(no /usr/bin/chromium: render times skipped)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shelters", type=int, nargs="+", default=[2500, 25_000])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    main(args.shelters, args.requests)
