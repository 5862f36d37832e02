"""The ``disaster-support`` command, run as a user runs it."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from disaster_support import serving

SCRIPT = Path(sys.executable).parent / "disaster-support"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answering(url, seconds=60):
    """The first answer of a ``serve`` just started (its worker processes start after it
    prints, slowly on a busy machine); AssertionError if none comes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not answer {url}")


def test_init_creates_the_database_in_the_chosen_instance(cli, instance):
    result = cli("init")
    assert result.exit_code == 0
    assert (instance / "disaster_support.db").exists()
    from disaster_support.db import SCHEMA_VERSION

    assert f"schema version {SCHEMA_VERSION}" in result.output


def test_instance_from_the_environment(tmp_path):
    env = {**os.environ, "DISASTER_SUPPORT_INSTANCE": str(tmp_path / "drill-1")}
    subprocess.run([str(SCRIPT), "init"], env=env, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "drill-1" / "disaster_support.db").exists()


def test_demo_is_idempotent(cli, db):
    first = cli("demo")
    assert "Demo data loaded: 172 places, 33 shelters open" in first.output
    changes = db["shelter_change"].count
    cli("demo")
    assert db["shelter_change"].count == changes


ACCOUNT_LINE = re.compile(r"^  (\S+)\s+(\S+)\s+\((\w+)\)$", re.M)
WHERE_TO_GO = re.compile(r"^  (.+)\n      (http\S+)$", re.M)


def printed_until_ready(process, deadline=60):
    """What ``serve`` prints up to its last line before serving."""
    lines, until = [], time.monotonic() + deadline
    while time.monotonic() < until:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    return "".join(lines)


def test_serve_with_demo_answers_on_the_printed_url(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--demo", "--port", str(port), "--instance", str(tmp_path / "i")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LANG": "C.UTF-8"})
    try:
        printed = printed_until_ready(process)
        url = re.search(r"^Open (http\S+) in a browser", printed, re.M).group(1)
        passwords = {name: password for name, password, _ in ACCOUNT_LINE.findall(printed)}
        assert url == f"http://127.0.0.1:{port}/"
        assert set(passwords) >= {"coordinator", "admin"}
        response = answering(url)
        assert response.status_code == 200
        assert response.headers["Server"] == "disaster-support"
        assert requests.get(url + "api/v1/shelters", timeout=5).status_code == 401
        browser = requests.Session()
        form = browser.get(url + "sign-in", timeout=5).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed_in = browser.post(url + "sign-in", timeout=5, data={
            "csrf_token": token, "username": "coordinator", "password": passwords["coordinator"]})
        assert signed_in.url == url  # redirected to the overview
        shelters = browser.get(url + "api/v1/shelters?kind=designated_shelter", timeout=5).json()
        assert shelters["count"] == 105
        assert all(s["lat"] and s["lon"] and s["ward"] for s in shelters["shelters"])

        # which address is for whom: each one printed opens what it says, for that person
        where = WHERE_TO_GO.findall(printed)
        assert [label.split(" ")[0] for label, _ in where] == [
            "Coordinators:", "Shelter", "Evacuees:", "Evacuees:", "Evacuees:", "QR"]
        overview, tablet_link, board, boards, public_map, sheet = [a for _, a in where]
        assert overview == url
        evacuee = requests.Session()  # no sign-in, as on an evacuee's phone
        assert evacuee.get(board, timeout=5).status_code == 200 and "/board/E14" in board
        assert evacuee.get(boards, timeout=5).status_code == 200
        assert "leaflet" in evacuee.get(public_map, timeout=5).text
        joined = requests.get(tablet_link, timeout=5)
        assert joined.status_code == 200 and "/join/" in joined.url
        printable = browser.get(sheet, timeout=5)  # the coordinator prints it
        assert printable.status_code == 200 and printable.text.count("<svg") >= 16
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def test_serve_says_where_to_go_in_the_readers_language(cli, monkeypatch):
    served = []
    monkeypatch.setattr(serving, "serve", lambda host, port, workers, threads, settings: (
        served.append({"host": host, "port": port, "workers": workers, "threads": threads,
                       "settings": settings})))
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    monkeypatch.setenv("DISASTER_SUPPORT_BACKUP_EVERY_MINUTES", "0")
    printed = cli("serve", "--demo", "--port", "5999").output
    assert served == [{"host": "127.0.0.1", "port": 5999, "workers": serving.default_workers(),
                       "threads": 4, "settings": {}}]
    where = WHERE_TO_GO.findall(printed)
    assert len(where) == 6 and "Where to go" not in printed
    assert all(address.startswith("http://127.0.0.1:5999/") for _, address in where)
    assert where[1][0].startswith("Máy tính bảng") and "/join/" in where[1][1]
    assert "Người sơ tán" in where[2][0] and where[2][1].endswith(where[5][1].split("/")[-2])


def test_python_dash_m_and_help(tmp_path):
    result = subprocess.run([sys.executable, "-m", "disaster_support", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("init", "demo", "serve", "import-shelters", "build-wards"):
        assert command in result.stdout


def test_flask_run_style_entry_point_still_works(tmp_path):
    env = {**os.environ, "DISASTER_SUPPORT_INSTANCE": str(tmp_path / "dev")}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app",
                             "disaster_support", "routes"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "shelters.detail" in result.stdout


def test_build_wards_derives_a_small_layer(cli, tmp_path):
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wards"
    out = tmp_path / "wards.geojson"
    result = cli("build-wards", *(str(shared / f"{c}.json") for c in (14151, 14152, 14153)),
                 "--out", str(out))
    assert result.exit_code == 0
    import json

    layer = json.loads(out.read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in layer["features"]] == ["14151", "14152", "14153"]
    assert out.stat().st_size < 30_000


def test_an_unusable_database_gives_a_message_not_a_traceback(cli, instance):
    instance.mkdir(parents=True)
    (instance / "disaster_support.db").write_bytes(b"this is not a database" * 100)
    result = cli("init")
    assert result.exit_code == 1
    assert "the database cannot be used" in result.output
    assert "Traceback" not in result.output
