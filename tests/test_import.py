"""Importing shelter open data: the real files, their quirks, and bad files."""

import http.server
import json
import socket
import threading

import pytest

from disaster_support.city import load_city
from disaster_support.shelters.importer import ShelterFileError, import_shelters

from conftest import GSI_SHELTERS, GSI_SITES, KANAZAWA


def counts(output):
    """The closing line of import-shelters as a dict."""
    line = output.strip().splitlines()[-1]
    return dict((k.strip(), int(v)) for k, v in (part.split(":") for part in line.split(",")))


def snapshot(db):
    return (list(db.query("SELECT * FROM shelter ORDER BY id")),
            list(db.query("SELECT * FROM shelter_change ORDER BY id")))


def test_gsi_pair_joins_into_168_places_with_105_designated_shelters(cli, db):
    result = cli("import-shelters", str(GSI_SHELTERS), str(GSI_SITES))
    assert result.exit_code == 0, result.output
    assert counts(result.output) == {"new": 168, "updated": 0, "unchanged": 0,
                                     "without coordinates": 0, "outside the city": 1}
    kinds = dict(db.execute("SELECT kind, count(*) FROM shelter GROUP BY kind").fetchall())
    assert kinds == {"designated_shelter": 105, "emergency_site": 63}
    # every designated shelter is joined with its emergency-site row
    assert db.execute("SELECT count(*) FROM shelter WHERE kind = 'designated_shelter' "
                      "AND site_id IS NOT NULL AND emergency_site = 1").fetchone()[0] == 105
    joined = db["shelter"].get("E1415000004111")
    assert joined["name"] == "上溝中学校"            # the shelter file's name wins
    assert joined["site_id"] == "E1415000004201"
    assert json.loads(joined["hazards"]) == ["flood", "landslide", "earthquake", "large_fire"]
    # two site rows share a facility prefix: the one at the same place is joined
    assert db["shelter"].get("E1415000130111")["site_id"] == "E1415000130202"
    outside = db.execute("SELECT name, ward FROM shelter WHERE outside_city = 1").fetchall()
    assert outside == [("上野原カントリークラブ駐車場", None)]


def test_each_file_alone_and_a_second_import_is_unchanged(cli):
    first = cli("import-shelters", str(GSI_SHELTERS))
    assert counts(first.output)["new"] == 105
    sites = cli("import-shelters", str(GSI_SITES))
    # 105 site rows are merged into the shelters already known, 63 are new
    assert counts(sites.output) == {"new": 63, "updated": 105, "unchanged": 0,
                                    "without coordinates": 0, "outside the city": 1}
    again = cli("import-shelters", str(GSI_SHELTERS), str(GSI_SITES))
    assert counts(again.output) == {"new": 0, "updated": 0, "unchanged": 168,
                                    "without coordinates": 0, "outside the city": 1}


def test_wards_come_from_the_address_and_agree_with_the_boundaries(sagamihara, db):
    city = load_city(sagamihara.config["CITY_DIR"])
    names = {"midori": "緑区", "chuo": "中央区", "minami": "南区"}
    rows = list(db.query("SELECT * FROM shelter WHERE kind = 'designated_shelter'"))
    assert len(rows) == 105
    for row in rows:
        assert row["lat"] is not None and row["lon"] is not None
        assert "相模原市" + names[row["ward"]] in row["address"]
        assert city.ward_for(None, row["lat"], row["lon"]) == row["ward"]
    by_ward = dict(db.execute("SELECT ward, count(*) FROM shelter WHERE kind = "
                              "'designated_shelter' GROUP BY ward").fetchall())
    assert by_ward == {"midori": 37, "chuo": 32, "minami": 36}


def test_municipal_standard_file_of_another_city(cli, db):
    result = cli("import-shelters", str(KANAZAWA))
    assert result.exit_code == 0, result.output
    assert "municipal-standard, UTF-8 (BOM), 506 rows" in result.output
    # imported into a Sagamihara instance, every Kanazawa place is outside the city
    assert counts(result.output) == {"new": 506, "updated": 0, "unchanged": 0,
                                     "without coordinates": 0, "outside the city": 506}
    row = db["shelter"].get("AA0000001281")
    assert row["name"] == "三谷小学校（指定避難場所）"
    assert row["name_kana"] == "ミタニショウガッコウ（シテイヒナンバショ）"
    assert row["capacity"] == 1357                 # "1357人"
    assert row["kind"] == "designated_shelter"     # 指定避難所との重複 = 1
    assert row["municipality"] == "172014"
    assert db.execute("SELECT count(*) FROM shelter WHERE kind = 'designated_shelter'"
                      ).fetchone()[0] == 214
    assert not any("０" <= c <= "９" for (name,) in db.execute("SELECT name FROM shelter")
                   for c in name)                  # full-width digits normalised


def test_another_city_profile_counts_its_own_places_inside(tmp_path, kanazawa_city, cli):
    from disaster_support import create_app
    from disaster_support.db import connect

    app = create_app({"TESTING": True, "CITY_DIR": str(kanazawa_city)},
                     instance_path=tmp_path / "kanazawa-instance")
    db = connect(app.config["DATABASE"])
    with app.app_context():
        source = ("kanazawa.csv", KANAZAWA.read_bytes())
        report = import_shelters(db, [source], app.extensions["city"])
    assert report.as_dict() == {"new": 506, "updated": 0, "unchanged": 0,
                                "without_coordinates": 0, "outside_city": 0}


def test_cp932_crlf_copy_imports_identically(tmp_path, cli, db, instance):
    cli("import-shelters", str(KANAZAWA))
    utf8 = snapshot(db)[0]
    text = KANAZAWA.read_text(encoding="utf-8-sig")
    cp932 = tmp_path / "kanazawa_sjis.csv"
    cp932.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp932"))
    result = cli("import-shelters", str(cp932))
    assert "Shift_JIS (CP932), 506 rows" in result.output
    assert counts(result.output)["unchanged"] == 506
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("source", "open_data")}
                          for r in rows]
    assert strip(snapshot(db)[0]) == strip(utf8)


def municipal_csv(rows, header_variant=False, leading_id=False):
    """A small municipal-standard file, optionally with the variants seen in the wild."""
    from disaster_support.shelters.importer import MUNICIPAL_COLUMNS

    header = list(MUNICIPAL_COLUMNS)
    if header_variant:
        header[header.index("連絡先備考(その他、SNSなど)")] = "連絡先備考（その他、SNSなど）"
        header[header.index("市区町村コード")] = '"市区町村コード\n(設置主体)"'
        header[header.index("建物名等(方書)")] = "建物名等（方書）"
    if leading_id:
        header.insert(0, "_id")
    lines = [",".join(header)]
    for row in rows:
        cells = {c: "" for c in MUNICIPAL_COLUMNS}
        cells.update(row)
        values = [cells[c] for c in MUNICIPAL_COLUMNS]
        if leading_id:
            values.insert(0, "1")
        lines.append(",".join(values))
    return "\n".join(lines) + "\n"


SAMPLE_ROW = {"全国地方公共団体コード": "141500", "ID": "T001", "名称": "第１小学校",
              "所在地_連結表記": "神奈川県相模原市南区相模大野５－１", "緯度": "３５.５３",
              "経度": "139.43", "災害種別_地震": "○", "災害種別_洪水": "1",
              "想定収容人数": '"1,200人"', "指定避難所との重複": "1"}


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("variant", [
    {"header_variant": True}, {"leading_id": True}, {"header_variant": True, "leading_id": True}])
def test_municipal_variants_seen_in_the_wild(tmp_path, cli, db, variant):
    text = municipal_csv([SAMPLE_ROW, {**SAMPLE_ROW, "ID": "T002", "名称": "公園",
                                       "備考": '"一行目\r\n二行目"', "指定避難所との重複": ""}],
                         **variant)
    path = write(tmp_path, "v.csv", text.replace("\n", "\r\n", 1))  # mixed line endings
    result = cli("import-shelters", str(path))
    assert result.exit_code == 0, result.output
    assert counts(result.output)["new"] == 2
    row = db["shelter"].get("T001")
    assert (row["name"], row["lat"], row["capacity"], row["ward"]) == (
        "第1小学校", 35.53, 1200, "minami")
    assert json.loads(row["hazards"]) == ["flood", "earthquake"]
    assert db["shelter"].get("T002")["kind"] == "emergency_site"


def test_format_option_forces_the_layout(tmp_path, cli):
    path = write(tmp_path, "m.csv", municipal_csv([SAMPLE_ROW]))
    wrong = cli("import-shelters", str(path), "--format", "gsi")
    assert wrong.exit_code == 1
    assert "unknown layout" in wrong.output
    right = cli("import-shelters", str(path), "--format", "municipal-standard")
    assert counts(right.output)["new"] == 1


@pytest.mark.parametrize("mutate, line, column, words", [
    (lambda t: t.replace(",緯度,", ",Latitude,", 1), 1, "緯度", "required column missing"),
    (lambda t: t.replace("35.55997147", "35.5x", 1), 2, "緯度", "is not a number"),
    (lambda t: t.replace(",1,,,35.5661195,139.3552827,", ",1,,,35.56", 1), 3, None,
     "truncated"),
    (lambda t: t.replace("E1415000006111", "", 1), 3, "共通ID", "ID is empty"),
    (lambda t: t.replace("E1415000006111", "E1415000004111", 1), 3, None, "appears twice"),
    (lambda t: t.replace("35.55997147", "135.5", 1), 2, "緯度", "outside"),
])
def test_broken_files_are_refused_with_line_and_column_and_change_nothing(
        tmp_path, cli, db, sagamihara, mutate, line, column, words):
    before = snapshot(db)
    broken = write(tmp_path, "broken.csv", mutate(GSI_SHELTERS.read_text(encoding="utf-8")))
    result = cli("import-shelters", str(GSI_SITES), str(broken))
    assert result.exit_code == 1
    assert f"broken.csv, line {line}" in result.output
    if column:
        assert f"column {column}" in result.output
    assert words in result.output
    assert "Nothing was imported." in result.output
    assert snapshot(db) == before


def test_hazard_flag_that_is_not_a_flag_is_refused(tmp_path, cli, db):
    path = write(tmp_path, "f.csv", municipal_csv([{**SAMPLE_ROW, "災害種別_津波": "maybe"}]))
    result = cli("import-shelters", str(path))
    assert result.exit_code == 1
    assert "line 2, column 災害種別_津波" in result.output
    assert db["shelter"].count == 0


def test_unknown_layout_and_undecodable_bytes(tmp_path, cli):
    other = write(tmp_path, "other.csv", "a,b,c\n1,2,3\n")
    assert "unknown layout" in cli("import-shelters", str(other)).output
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x81\x00\xff\xfe" * 10)
    result = cli("import-shelters", str(binary))
    assert result.exit_code == 1 and "neither UTF-8 nor Shift_JIS" in result.output
    missing = cli("import-shelters", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_reimport_keeps_what_coordinators_entered(sagamihara, cli, db, tmp_path):
    from disaster_support.audit.log import Actor
    from disaster_support.shelters import registry

    registry.update_shelter(db, "E1415000004111", {
        "status": "open", "evacuees": "120", "capacity": "450",
        "languages": {"vi": "12"}, "food_halal": "1"}, actor=Actor("coordinator", via="test"))
    moved = GSI_SHELTERS.read_text(encoding="utf-8").replace(
        "上溝中学校,神奈川県相模原市中央区横山5-19-54", "上溝中学校,神奈川県相模原市中央区横山5-19-55")
    path = write(tmp_path, "newer.csv", moved)
    result = cli("import-shelters", str(path), str(GSI_SITES))
    assert counts(result.output)["updated"] == 1
    row = registry.get_shelter(db, "E1415000004111")
    assert row["address"].endswith("5-19-55")
    assert (row["status"], row["evacuees"], row["capacity"], row["languages"],
            row["food_halal"]) == ("open", 120, 450, {"vi": 12}, 1)
    history = registry.shelter_history(db, "E1415000004111")
    assert history[0]["field"] == "address" and history[0]["via"] == "import"


@pytest.fixture
def http_server(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "shelters.csv").write_bytes(GSI_SHELTERS.read_bytes())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_import_from_a_url(http_server, cli):
    result = cli("import-shelters", f"{http_server}/shelters.csv")
    assert result.exit_code == 0, result.output
    assert counts(result.output)["new"] == 105


def test_unreachable_url_says_so_clearly(cli, db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    result = cli("import-shelters", f"http://127.0.0.1:{port}/shelters.csv")
    assert result.exit_code == 1
    assert "cannot reach the server" in result.output
    assert db["shelter"].count == 0


def test_library_function_raises_with_location(app, db):
    with app.app_context(), pytest.raises(ShelterFileError) as error:
        import_shelters(db, [("x.csv", "共通ID,施設・場所名\nE1,名\n".encode())],
                        app.extensions["city"])
    assert error.value.line == 1
