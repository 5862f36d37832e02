"""The database: settings of every connection, and upgrades that keep data."""

import sqlite3

import pytest

from disaster_support import create_app
from disaster_support.db import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, connect, migrate


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_database_of_the_first_schema_version_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "instance" / "disaster_support.db"
    path.parent.mkdir()
    old = connect(path)
    migrate(old, target=1)
    old.execute(
        "INSERT INTO shelter (id, kind, name, status, evacuees, created_at, updated_at) "
        "VALUES ('E1415000004111', 'designated_shelter', '上溝中学校', 'open', 85, "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')")
    old.close()

    app = create_app({"TESTING": True}, instance_path=tmp_path / "instance")
    client = app.test_client()
    db = connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    row = db["shelter"].get("E1415000004111")
    assert (row["name"], row["status"], row["evacuees"]) == ("上溝中学校", "open", 85)
    assert row["staff_languages"] == "[]" and row["food_halal"] is None
    api = client.get("/api/v1/shelters/E1415000004111")
    assert api.status_code == 401  # the upgraded database is protected like a new one


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    db = connect(tmp_path / "x.db")
    migrate(db, target=1)
    monkeypatch.setattr("disaster_support.db.MIGRATIONS",
                        [MIGRATIONS[0], "CREATE TABLE a (x); CREATE TABLE broken ("])
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, target=2)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "a" not in db.table_names()


def test_a_newer_database_is_refused_not_damaged(tmp_path):
    db = connect(tmp_path / "x.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew):
        migrate(db)


def test_secret_key_is_generated_per_instance_and_kept(tmp_path):
    first = create_app({"TESTING": True}, instance_path=tmp_path / "a")
    again = create_app({"TESTING": True}, instance_path=tmp_path / "a")
    other = create_app({"TESTING": True}, instance_path=tmp_path / "b")
    assert len(first.secret_key) == 64
    assert first.secret_key == again.secret_key != other.secret_key
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0


def test_the_rebuild_of_places_and_needs_keeps_every_row_and_reference(tmp_path):
    db = connect(tmp_path / "old.db")
    migrate(db, target=10)
    now = "2026-01-01T00:00:00+00:00"
    db.execute("INSERT INTO shelter (id, kind, name, status, evacuees, created_at, updated_at, "
               "name_romaji) VALUES ('S1', 'designated_shelter', '上溝中学校', 'open', 85, ?, ?, "
               "'Kamimizo Chugakko')", [now, now])
    db.execute("INSERT INTO shelter_language VALUES ('S1', 'vi', 12)")
    db.execute("INSERT INTO shelter_change (shelter_id, at, actor, via, field, old, new) "
               "VALUES ('S1', ?, 'sato', 'form', 'evacuees', '80', '85')", [now])
    db.execute("INSERT INTO need (client_id, shelter_id, category, language, people, urgency, "
               "status, created_at, created_by, updated_at) VALUES ('client-0001', 'S1', "
               "'water', 'vi', 3, 'high', 'open', ?, 'sato', ?)", [now, now])
    db.execute("INSERT INTO need_event (need_id, at, actor, via, to_status) "
               "VALUES (1, ?, 'sato', 'form', 'open')", [now])
    migrate(db)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    place = db["shelter"].get("S1")
    assert (place["name_romaji"], place["evacuees"], place["official"]) == (
        "Kamimizo Chugakko", 85, 1)
    need = db["need"].get(1)
    assert (need["client_id"], need["people"], need["priority"], need["origin"]) == (
        "client-0001", 3, 1, "staff")
    assert db.execute("SELECT count(*) FROM need_event WHERE need_id = 1").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM shelter_change").fetchone()[0] == 1
    assert db.execute("SELECT people FROM shelter_language").fetchone()[0] == 12
    # the triggers of the rebuilt tables write the change feed again
    before = db.execute("SELECT count(*) FROM change_feed").fetchone()[0]
    db.execute("UPDATE need SET people = 4 WHERE id = 1")
    db.execute("UPDATE shelter SET evacuees = 90 WHERE id = 'S1'")
    assert db.execute("SELECT count(*) FROM change_feed").fetchone()[0] == before + 2
    # and the references still hold: a need for no place is refused
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO need (client_id, shelter_id, category, language, people, "
                   "created_at, created_by, updated_at) VALUES ('client-0002', 'nowhere', "
                   "'water', 'vi', 1, ?, 'x', ?)", [now, now])
