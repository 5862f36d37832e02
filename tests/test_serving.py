"""The server of ``disaster-support serve``: several processes, one database.

Every write meets the others in SQLite's lock, whichever process it reaches; idle
keep-alive connections (a browser keeps a few open per page) hold no worker; and a
worker never outlives its supervisor."""

import concurrent.futures
import contextlib
import multiprocessing
import os
import random
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.needs import records
from disaster_support.shelters import registry

from conftest import KAMIMIZO
from test_cli import SCRIPT, answering, free_port

ACTOR = Actor("test", "admin", "test")
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="reads the workers' open files in /proc")


def workers_of(supervisor):
    """The process ids of the supervisor's workers (not multiprocessing's resource
    tracker, its other child)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children")
    if not children.exists():
        return []
    workers = []
    for pid in children.read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(int(pid))
        except FileNotFoundError:
            pass
    return workers


def running_process(pid):
    """Alive, not a zombie left for its new parent to reap."""
    try:
        return "(zombie)" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def has_open(pid, path):
    try:
        return any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == str(path)
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except FileNotFoundError:
        return False


@pytest.fixture
def opened(app, people, db):
    """Kamimizo open; ``people`` holds its tablet's token."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    return people


@pytest.fixture
def running(opened, instance):
    """``serve`` with two worker processes on the test instance."""
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port), "--instance", str(instance),
         "--workers", "2", "--threads", "4"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "DISASTER_SUPPORT_BACKUP_EVERY_MINUTES": "0"})
    url = f"http://127.0.0.1:{port}"
    try:
        assert answering(url + "/healthz").status_code == 200
        deadline = time.monotonic() + 60
        while len(workers_of(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield process, url, port
    finally:
        with contextlib.suppress(ProcessLookupError):  # the workers too, if left alone
            os.killpg(process.pid, signal.SIGKILL if process.poll() is not None else
                      signal.SIGTERM)
        process.wait(timeout=30)


def test_writes_reaching_both_processes_at_once_make_each_need_exactly_once(
        running, opened, instance):
    process, url, _ = running
    headers = {"Authorization": f"Bearer {opened['device_token']}"}
    payloads = [{"client_id": f"two-processes-{n:04d}", "shelter_id": KAMIMIZO,
                 "category": ("food", "water", "medicine")[n % 3],
                 "language": ("vi", "ne", "zh-Hans", "tl")[n % 4], "people": 1 + n % 4}
                for n in range(120)]
    submissions = payloads * 3  # every need sent three times, the copies at once
    random.Random(22).shuffle(submissions)

    def send(batch):
        # a connection per submission: whichever worker is free accepts it, so both answer
        # (24 keep-alive connections opened at once may all land on the first worker ready)
        return [requests.post(url + "/api/v1/needs", json=p, headers=headers,
                              timeout=30).status_code for p in batch]

    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        statuses = [s for batch in pool.map(send, [submissions[i::24] for i in range(24)])
                    for s in batch]
    assert statuses.count(201) == 120 and statuses.count(200) == 240

    database = (instance / "disaster_support.db").resolve()
    workers = workers_of(process.pid)
    assert len(workers) == 2
    # each worker opened the database: both answered some of the submissions
    assert all(has_open(pid, database) for pid in workers)
    conn = sqlite3.connect(database)
    stored = conn.execute("SELECT count(*), count(DISTINCT client_id) FROM need "
                          "WHERE client_id LIKE 'two-processes-%'").fetchone()
    conn.close()
    assert stored == (120, 120)


def _record_from_another_process(args):
    """A separate process writing the same submissions as its siblings."""
    path, client_ids = args
    db = connect(path)
    created = 0
    for client_id in client_ids:
        _, new = records.record_need(db, KAMIMIZO, {
            "client_id": client_id, "category": "water", "language": "vi", "people": 2},
            actor=ACTOR)
        created += new
    db.close()
    return created


def test_writers_in_several_processes_never_duplicate_or_lose_a_need(opened, app):
    """Below the server: four processes record the same 200 client ids, each in its
    own order, on one database file (the lock they meet in is SQLite's)."""
    path = app.config["DATABASE"]
    client_ids = [f"processes-{n:04d}" for n in range(200)]
    orders = []
    for seed in range(4):
        order = list(client_ids)
        random.Random(seed).shuffle(order)
        orders.append((path, order))
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        created = pool.map(_record_from_another_process, orders)
    assert sum(created) == 200  # each created once, by whichever process came first
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*), count(DISTINCT client_id) FROM need WHERE "
                        "client_id LIKE 'processes-%'").fetchone() == (200, 200)
    conn.close()


def _http_request(path):
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
            ).encode()


def _read_response(sock):
    """One HTTP/1.1 response with a Content-Length: (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split(b" ")[1]), body


def test_idle_keep_alive_connections_hold_no_worker(running):
    _, url, port = running
    idle = []
    for _ in range(40):  # far more than the 2 × 4 threads
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(_http_request("/healthz"))
        assert _read_response(sock) == (200, b"ok")
        idle.append(sock)  # left open, as a browser leaves its connections
    try:
        # a new visitor is answered while all of them stay open
        assert requests.get(url + "/board", timeout=30).status_code == 200
        for sock in idle:  # and each idle connection still works when used again
            sock.sendall(_http_request("/healthz"))
            assert _read_response(sock) == (200, b"ok")
    finally:
        for sock in idle:
            sock.close()


def test_workers_stop_when_their_supervisor_is_killed(running):
    process, _, _ = running
    workers = workers_of(process.pid)
    assert len(workers) == 2
    os.kill(process.pid, signal.SIGKILL)  # the supervisor alone
    process.wait(timeout=10)
    for _ in range(300):
        alive = [pid for pid in workers if running_process(pid)]
        if not alive:
            break
        time.sleep(0.05)
    assert not alive, "workers outlived their supervisor"
