"""Starting, running and ending a drill.

A drill runs on a database file of its own in the instance folder
(``drills/<drill id>/drill.db``): a copy of the live reference data (shelters,
volunteers without their contacts) without the live needs, notices, assignments or
audit log, then the scenario's opening state. While ``drills/active.json`` names it,
every request and every command uses it for operational data (``operational_database``,
registered with ``db.init_app``). Accounts, tablets, tokens and sessions are never
copied into use: they stay in the live database (``db.get_accounts_db``), so what a
drill does to them — a tablet revoked, a user disabled — is true after it too.
Ending the drill leaves its folder as the archive: the database and report.json.
"""

import datetime
import json
import os
import shutil
import sqlite3
from pathlib import Path

from flask import current_app

from .. import db as database
from ..audit.log import Actor, record
from ..db import connect, private_file, write_transaction
from ..errors import TranslatedError
from ..needs import records as needs
from ..shelters import places, registry
from ..text import _l
from ..volunteers import registry as volunteers
from .scenarios import SPEEDS, get_scenario

ACTIVE = "active.json"
DRILL_ACTOR = Actor("drill", "admin", "drill")
# Live data a drill must not carry: it starts from the scenario's opening state. The
# accounts' own tables stay live (users' rows remain in the copy, without passwords,
# for the volunteers that refer to them).
# (nobody's address goes into a drill: a drill never mails the public)
NOT_COPIED = ("mail_outbox", "mail_subscriber", "notice_posting", "notice_view",
              "evacuation_order", "official_input", "official_report", "need_answer",
              "assignment", "need_event", "need", "notice_version", "notice_translation",
              "notice", "audit", "shelter_change", "shelter_language", "login_throttle",
              "api_token", "device", "user_session", "drill_inject", "drill_info")
_active_cache = {}


class DrillError(TranslatedError):
    pass


def drills_folder(app):
    return Path(app.instance_path) / "drills"


def active_drill(app):
    """The running drill ({"id", "database", ...}) or None; read again only when
    the pointer file changes (a command in another process may start one)."""
    path = drills_folder(app) / ACTIVE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if _active_cache.get("key") != key:
        _active_cache.update(key=key, value=json.loads(path.read_text(encoding="utf-8")))
    return _active_cache["value"]


def operational_database(app):
    """Where operational data lives now: the running drill's database, else the live one."""
    drill = active_drill(app)
    return drill["database"] if drill else app.config["DATABASE"]


def _parse(value):
    return datetime.datetime.fromisoformat(value)


def info(db):
    """What this drill database is: id, scenario, title, mode, speed, started_at..."""
    values = dict(db.execute("SELECT key, value FROM drill_info").fetchall())
    if "title" in values:
        values["title"] = json.loads(values["title"])
    for key in ("speed", "duration"):
        if key in values:
            values[key] = float(values[key])
    return values


def minute_at(drill, moment):
    """Scenario minutes at a real moment (a datetime or an ISO string)."""
    if isinstance(moment, str):
        moment = _parse(moment)
    return (moment - _parse(drill["started_at"])).total_seconds() / 60 * drill["speed"]


def moment_of(drill, minute):
    """The real moment of a scenario minute, as stored (ISO, UTC, to the second)."""
    moment = _parse(drill["started_at"]) + datetime.timedelta(minutes=minute / drill["speed"])
    return moment.replace(microsecond=0).isoformat()


def start(app, scenario_id, mode="fast"):
    """Start a drill of the scenario; returns its id."""
    if mode not in SPEEDS:
        raise DrillError(_l("Speed: choose real, fast or manual."))
    if active_drill(app):
        raise DrillError(_l("A drill is already running: end it first."))
    scenario = get_scenario(app.config["CITY_DIR"], scenario_id)
    now = database.NOW().replace(microsecond=0)
    drill_id = f"{now:%Y%m%d-%H%M%S}-{scenario.id}"
    folder = drills_folder(app) / drill_id
    folder.mkdir(mode=0o700, parents=True)
    path = private_file(folder / "drill.db")
    try:
        _copy_reference_data(app.config["DATABASE"], path)
        db = connect(path)
        try:
            _seed(db, drill_id, scenario, mode, now)
        finally:
            db.close()
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    pointer = drills_folder(app) / ACTIVE
    temporary = pointer.with_suffix(".tmp")
    temporary.write_text(json.dumps({"id": drill_id, "database": str(path),
                                     "scenario": scenario.id, "title": scenario.title,
                                     "mode": mode}, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, pointer)  # the switch is one rename: all or nothing
    return drill_id


def _copy_reference_data(live_path, drill_path):
    """SQLite's online backup of the live database, opened read-only."""
    live = sqlite3.connect(f"file:{Path(live_path).resolve()}?mode=ro", uri=True)
    target = sqlite3.connect(drill_path)
    try:
        live.backup(target)
    finally:
        live.close()
        target.close()


def _seed(db, drill_id, scenario, mode, now):
    with write_transaction(db):
        for table in NOT_COPIED:
            db.execute(f"DELETE FROM {table}")
        db.execute("UPDATE user SET password_hash = '!', session_epoch = -1")
        db.execute("UPDATE shelter SET status = 'closed', evacuees = 0")
        db.execute("UPDATE volunteer SET checked_in_at = NULL, checked_in_place = NULL, "
                   "phone = NULL, email = NULL")
    # nothing of the live needs and notices is left in free pages either
    db.execute("VACUUM")
    started = now.isoformat()
    with write_transaction(db):
        values = {"id": drill_id, "scenario": scenario.id, "mode": mode,
                  "speed": str(SPEEDS[mode]), "started_at": started,
                  "duration": str(scenario.duration),
                  "title": json.dumps(scenario.title, ensure_ascii=False)}
        db.conn.executemany("INSERT INTO drill_info (key, value) VALUES (?, ?)", values.items())
        db.conn.executemany(
            "INSERT INTO drill_inject (at_minute, kind, spec) VALUES (?, ?, ?)",
            [(i["at"], i["kind"], json.dumps(i, ensure_ascii=False)) for i in scenario.injects])
        for state in scenario.opening.get("shelters") or []:
            _shelter_state(db, {**state, "shelter": state["id"]})
        for group in scenario.opening.get("volunteers") or []:
            _volunteers(db, group, started)
        record(db, DRILL_ACTOR, "start", "drill", drill_id, at=started,
               after={"scenario": scenario.id, "mode": mode})


def _shelter_state(db, state):
    values = {k: state[k] for k in ("status", "evacuees") if k in state}
    if "languages" in state:
        values["languages"] = state["languages"]
    registry.update_shelter(db, state["shelter"], values, actor=DRILL_ACTOR)
    return {"shelter": state["shelter"]}


def _volunteers(db, group, at):
    """Registered volunteers who speak the language check in first; drill
    volunteers made for the drill make up the rest."""
    place = group.get("place", "center")
    language = group.get("language")
    sql = ("SELECT v.id FROM volunteer v WHERE v.checked_in_at IS NULL" +
           (" AND EXISTS (SELECT 1 FROM volunteer_language l WHERE l.volunteer_id = v.id "
            "AND l.language = ? AND l.level IN ('native', 'fluent'))" if language else "") +
           " ORDER BY v.id LIMIT ?")
    chosen = [r[0] for r in db.execute(sql, ([language] if language else []) + [group["count"]])]
    made = 0
    number = db.execute("SELECT count(*) FROM volunteer WHERE name LIKE '訓練%'").fetchone()[0]
    while len(chosen) < group["count"]:
        made += 1
        languages = {"ja": "fluent"}
        if language and language != "ja":
            languages[language] = group.get("level", "fluent")
        chosen.append(volunteers.create_volunteer(db, {
            "name": f"訓練ボランティア {number + made}" + (f" ({language})" if language else ""),
            "consent_date": at[:10], "languages": languages,
            "skills": group.get("skills") or []}, actor=DRILL_ACTOR, wards=set()))
    for volunteer_id in chosen:
        volunteers.check_in(db, volunteer_id, place, actor=DRILL_ACTOR, at=at)
    return {"volunteers": chosen, "made": made}


def _apply(db, inject_id, spec, at):
    kind = spec["kind"]
    if kind == "need":
        values = {"client_id": f"drill-inject-{inject_id}", "category": spec["category"],
                  "language": spec["language"], "people": spec["people"],
                  "urgency": spec.get("urgency", "normal")}
        if spec.get("note"):
            values["note"] = spec["note"]
            values["confirm_personal"] = True  # a scenario's notes are written for drills
        need, _ = needs.record_need(db, spec["shelter"], values, actor=DRILL_ACTOR, at=at)
        return {"need": need["id"]}
    if kind in ("headcount", "shelter"):
        return _shelter_state(db, spec)
    if kind == "volunteers":
        return _volunteers(db, spec, at)
    if kind == "place":
        return _found_place(db, inject_id, spec, at)
    return {}


def _found_place(db, inject_id, spec, at):
    """A patrol team found people at a place the registry did not hold: the place, as
    a team would add it, and the needs they reported there."""
    city = current_app.extensions["city"]
    values = {k: v for k, v in spec["place"].items()}
    values.setdefault("status", "open")
    if isinstance(values.get("languages"), dict) and "evacuees" not in values:
        values["evacuees"] = sum(values["languages"].values())
    place = places.create_place(db, values, city, actor=DRILL_ACTOR, at=at)
    recorded = []
    for number, need in enumerate(spec.get("needs") or []):
        row, _ = needs.record_need(db, place["id"], {
            "client_id": f"drill-inject-{inject_id}-{number}", "category": need["category"],
            "language": need["language"], "people": need["people"],
            "urgency": need.get("urgency", "normal")}, actor=DRILL_ACTOR, at=at,
            origin="patrol")
        recorded.append(row["id"])
    return {"place": place["id"], "needs": recorded}


def pending(db):
    return list(db.query("SELECT * FROM drill_inject WHERE delivered_at IS NULL "
                         "ORDER BY at_minute, id"))


def delivered(db):
    return list(db.query("SELECT * FROM drill_inject WHERE delivered_at IS NOT NULL "
                         "ORDER BY at_minute, id"))


def latest_message(db):
    """What the last delivered "message" inject says ({tag: text}), or None."""
    row = db.execute("SELECT spec FROM drill_inject WHERE kind = 'message' AND delivered_at "
                     "IS NOT NULL ORDER BY at_minute DESC, id DESC LIMIT 1").fetchone()
    return json.loads(row[0]).get("message", {}) if row else None


def deliver(db, inject_id, at):
    """Deliver one inject, once: a second delivery (two requests at the same
    moment) finds it delivered and does nothing."""
    with write_transaction(db):
        row = db.execute("SELECT spec, delivered_at FROM drill_inject WHERE id = ?",
                         [inject_id]).fetchone()
        if row is None or row[1] is not None:
            return False
        spec = json.loads(row[0])
        try:
            with write_transaction(db):
                result = _apply(db, inject_id, spec, at)
        except (registry.ValidationError, registry.ShelterNotFound) as error:
            # a scenario that does not fit this city's data: said in the log, not fatal
            result = {"error": str(error)}
        db.execute("UPDATE drill_inject SET delivered_at = ?, result = ? WHERE id = ?",
                   [at, json.dumps(result, ensure_ascii=False, default=str), inject_id])
    return True


def deliver_due(db, now=None):
    """Deliver every inject whose scenario minute has come (not in manual mode),
    each at its scheduled moment. Returns how many."""
    drill = info(db)
    if not drill or drill.get("mode") == "manual" or drill.get("ended_at"):
        return 0
    minute = minute_at(drill, now or database.NOW())
    count = 0
    for inject in pending(db):
        if inject["at_minute"] > minute:
            break
        count += deliver(db, inject["id"], moment_of(drill, inject["at_minute"]))
    return count


def deliver_next(db):
    """The facilitator's button: the next inject, now."""
    waiting = pending(db)
    if not waiting:
        return None
    deliver(db, waiting[0]["id"], database.utcnow())
    return waiting[0]


def end(app):
    """End the running drill: its report is written beside its database."""
    from .report import build_report

    drill = active_drill(app)
    if not drill:
        raise DrillError(_l("No drill is running."))
    db = connect(drill["database"])
    try:
        ended = database.utcnow()
        with write_transaction(db):
            db.execute("INSERT OR REPLACE INTO drill_info (key, value) VALUES ('ended_at', ?)",
                       [ended])
            record(db, DRILL_ACTOR, "end", "drill", drill["id"], at=ended)
        report = build_report(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    folder = Path(drill["database"]).parent
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    (drills_folder(app) / ACTIVE).unlink()
    return report


def archived(app):
    """Ended drills, newest first: their reports."""
    reports = []
    for path in sorted(drills_folder(app).glob("*/report.json"), reverse=True):
        reports.append(json.loads(path.read_text(encoding="utf-8")))
    return reports


def archived_report(app, drill_id):
    path = drills_folder(app) / drill_id / "report.json"
    if "/" in drill_id or ".." in drill_id or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
