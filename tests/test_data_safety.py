"""What the commands promise about data: ``purge`` leaves no volunteer's contact
anywhere, ``restore`` refuses a damaged backup and changes nothing, and
``import-shelters`` writes nothing when any of its files is refused."""

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from disaster_support import backups
from disaster_support.audit.log import Actor
from disaster_support.shelters import registry
from disaster_support.volunteers import registry as volunteers

from conftest import GSI_SHELTERS, GSI_SITES, KAMIMIZO

ACTOR = Actor("test", "admin", "test")
WARDS = {"midori", "chuo", "minami"}


# --- purge ----------------------------------------------------------------------------

def test_purge_leaves_no_volunteer_email_or_phone_and_keeps_the_volunteers(cli, people, db):
    volunteers.create_volunteer(db, {
        "name": "Ana Souza", "email": "ana.souza@example.org", "consent_date": "2026-11-01",
        "languages": {"pt": "native"}}, actor=ACTOR, wards=WARDS)
    volunteers.create_volunteer(db, {
        "name": "Li Wei", "phone": "080-1111-2222", "email": "li.wei@example.org",
        "consent_date": "2026-11-01", "languages": {"zh-Hans": "native"}},
        actor=ACTOR, wards=WARDS)

    result = cli("purge", "--yes")

    assert result.exit_code == 0, result.output
    # Nguyen's phone (from the fixture), Ana's e-mail, Li's phone and e-mail
    assert "volunteer contact details: 3" in result.output
    everything = "\n".join(db.conn.iterdump())
    for contact in ("ana.souza@example.org", "li.wei@example.org", "080-1111-2222",
                    "090-0000-0000"):
        assert contact not in everything  # not in the volunteers, the audit log, anywhere
    # the statistics stay: who speaks what
    assert db["volunteer"].count == 3
    assert db.execute("SELECT count(*) FROM volunteer_language WHERE language IN "
                      "('pt', 'zh-Hans')").fetchone()[0] == 2


# --- restore --------------------------------------------------------------------------

def corrupt_an_index(path):
    """Change one key on the page of the users' username index, as a bad sector would:
    the file still opens and its tables read, but the index no longer matches them."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'user' "
                        "AND name LIKE 'sqlite_autoindex_%'").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    at = data.index(b"coordinator", start, start + page_size)
    data[at] = ord("k")  # "koordinator": an index entry for no row of the table
    path.write_bytes(bytes(data))


def dump(path):
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_restore_refuses_a_backup_that_fails_the_integrity_check(cli, app, people, db,
                                                                 tmp_path):
    backup = tmp_path / "damaged.db"
    assert cli("backup", str(backup)).exit_code == 0
    corrupt_an_index(backup)
    # the damage is one only the integrity check finds: the file opens, it is ours
    assert [str(p).split(":")[0] for p in backups.problems(backup)] == [
        "The integrity check failed"]
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)  # after the backup
    live = Path(app.config["DATABASE"])
    before = dump(live)

    result = cli("restore", str(backup), "--yes")

    assert result.exit_code != 0
    assert "The integrity check failed" in result.output
    assert dump(live) == before  # nothing replaced
    assert not list((live.parent / "backups").glob("before-restore-*"))


# --- import-shelters ------------------------------------------------------------------

def refused(tmp_path, source):
    """A copy of a GSI file that the importer refuses: a latitude that is no number."""
    text = source.read_text(encoding="utf-8")
    header, first_row = list(csv.reader(io.StringIO(text)))[:2]
    latitude = first_row[header.index("緯度")]
    path = tmp_path / f"refused-{source.name}"
    path.write_text(text.replace(latitude, latitude + "x", 1), encoding="utf-8")
    return path


def undecodable(tmp_path, source):
    """A file that says it is UTF-8 (a byte-order mark) and is not."""
    path = tmp_path / f"undecodable-{source.name}"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes()[:200] + b"\xff\xfe\n")
    return path


@pytest.mark.parametrize("spoil", [refused, undecodable])
@pytest.mark.parametrize("first, second", [(GSI_SHELTERS, GSI_SITES),
                                           (GSI_SITES, GSI_SHELTERS)],
                         ids=["shelters-then-sites", "sites-then-shelters"])
def test_an_import_whose_second_file_is_refused_writes_nothing(cli, app, db, tmp_path,
                                                                first, second, spoil):
    """On an empty database: the first file alone would add 105 or 168 places."""
    bad = spoil(tmp_path, second)

    result = cli("import-shelters", str(first), str(bad))

    assert result.exit_code == 1
    assert f"Error: {bad.name}, line " in result.output
    assert "Nothing was imported." in result.output
    for table in ("shelter", "shelter_change", "audit"):
        assert db[table].count == 0, table
    # and with the second file mended, the pair imports whole
    assert cli("import-shelters", str(first), str(second)).exit_code == 0
    assert db["shelter"].count == 168
