"""Nothing reported by a shelter is lost: backups taken while the app writes,
restores that check before they replace, and a server killed in the middle of 500
submissions that keeps every one it confirmed, exactly once."""

import concurrent.futures
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from disaster_support import backups
from disaster_support.accounts import devices
from disaster_support.audit.log import Actor
from disaster_support.db import SCHEMA_VERSION, connect
from disaster_support.needs import records
from disaster_support.shelters import registry

from conftest import KAMIMIZO
from test_cli import SCRIPT, answering, free_port

ACTOR = Actor("test", "admin", "test")


def need_count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM need").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def open_kamimizo(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    return app


def test_a_backup_taken_while_needs_are_written_is_consistent(open_kamimizo, db, tmp_path):
    app = open_kamimizo
    stop = threading.Event()

    def write():
        writer = connect(app.config["DATABASE"])
        n = 0
        while not stop.is_set():
            records.record_need(writer, KAMIMIZO, {"client_id": f"backup-{n:05d}",
                                                   "category": "water", "language": "vi",
                                                   "people": 1}, actor=ACTOR)
            n += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        time.sleep(0.2)
        written = [backups.backup(app.config["DATABASE"], tmp_path) for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    counts = [need_count(path) for path in written]
    assert counts == sorted(counts) and counts[-1] <= need_count(app.config["DATABASE"])
    for path in written:
        assert backups.problems(path) == []
        conn = sqlite3.connect(path)
        # every need in a backup has its first event: no half-written transaction
        assert conn.execute("SELECT count(*) FROM need WHERE id NOT IN "
                            "(SELECT need_id FROM need_event)").fetchone()[0] == 0
        conn.close()


def test_periodic_backups_keep_the_newest(open_kamimizo, tmp_path):
    app = open_kamimizo
    worker = backups.PeriodicBackups(app.config["DATABASE"], tmp_path / "auto", minutes=60,
                                     keep=2)
    made = [worker.once() for _ in range(4)]
    kept = sorted((tmp_path / "auto").glob("disaster_support-*.db"))
    assert kept == made[2:]


def test_restore_checks_first_and_keeps_the_database_as_it_was(
        open_kamimizo, db, tmp_path, cli):
    app = open_kamimizo
    assert cli("backup", str(tmp_path / "good.db")).exit_code == 0
    before = need_count(app.config["DATABASE"])
    records.record_need(db, KAMIMIZO, {"client_id": "after-backup-1", "category": "food",
                                       "language": "ne", "people": 3}, actor=ACTOR)

    broken = tmp_path / "broken.db"
    data = bytearray((tmp_path / "good.db").read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = b"\x00" * 4096
    broken.write_bytes(bytes(data))
    result = cli("restore", str(broken), "--yes")
    assert result.exit_code != 0
    assert need_count(app.config["DATABASE"]) == before + 1  # nothing replaced

    not_ours = tmp_path / "other.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE t (x)").connection.close()
    assert "not a database of this tool" in cli("restore", str(not_ours), "--yes").output
    newer = tmp_path / "newer.db"
    newer.write_bytes((tmp_path / "good.db").read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert "newer version" in cli("restore", str(newer), "--yes").output

    result = cli("restore", str(tmp_path / "good.db"), "--yes")
    assert result.exit_code == 0, result.output
    assert need_count(app.config["DATABASE"]) == before
    kept = list((Path(app.config["DATABASE"]).parent / "backups").glob("before-restore-*"))
    assert len(kept) == 1 and need_count(kept[0]) == before + 1


def test_a_killed_server_keeps_every_confirmed_need_exactly_once(open_kamimizo, db, instance):
    _, token = devices.issue_device(db, KAMIMIZO, "crash tablet", actor=ACTOR, days=1)
    auth = {"Authorization": f"Bearer {token}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def start():
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--port", str(port), "--instance", str(instance),
             "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "DISASTER_SUPPORT_BACKUP_EVERY_MINUTES": "0"})
        answering(url + "/healthz")
        return process

    payloads = [{"client_id": f"crash-{n:04d}", "shelter_id": KAMIMIZO,
                 "category": ("food", "water", "medicine", "interpretation")[n % 4],
                 "language": ("vi", "ne", "zh-Hans")[n % 3], "people": 1 + n % 5}
                for n in range(500)]
    confirmed, lock = set(), threading.Lock()
    local = threading.local()

    def send(payload):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        try:
            response = session.post(url + "/api/v1/needs", json=payload, headers=auth,
                                    timeout=5)
        except requests.RequestException:
            return
        if response.status_code in (200, 201):
            with lock:
                confirmed.add(payload["client_id"])

    server = start()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(send, p) for p in payloads]
        deadline = time.monotonic() + 60
        while len(confirmed) < 150 and time.monotonic() < deadline:
            time.sleep(0.005)
        # the supervisor and both workers at once, in the middle of the writes
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        concurrent.futures.wait(futures, timeout=60)
    assert 150 <= len(confirmed) < 500

    database = str(instance / "disaster_support.db")
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = dict(conn.execute("SELECT client_id, count(*) FROM need WHERE client_id LIKE "
                               "'crash-%' GROUP BY client_id").fetchall())
    conn.close()
    assert confirmed <= set(stored)               # every confirmed need is there
    assert set(stored.values()) == {1}            # once each

    server = start()
    try:
        statuses = []
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            for payload in payloads:  # every submission again, same client ids
                pool.submit(lambda p: statuses.append(requests.post(
                    url + "/api/v1/needs", json=p, headers=auth, timeout=10).status_code),
                    payload)
        assert len(statuses) == 500 and set(statuses) <= {200, 201}
        assert statuses.count(201) == 500 - len(stored)
    finally:
        server.terminate()
        server.wait(timeout=20)
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT count(*), count(DISTINCT client_id) FROM need WHERE "
                        "client_id LIKE 'crash-%'").fetchone() == (500, 500)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

