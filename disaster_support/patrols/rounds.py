"""Patrol rounds: the planner's proposal from the registry, kept as teams and routes.

A round is planned from what the database knows now (planning.py decides): places
with foreign evacuees or unresolved needs, the hours since each was last visited,
needs in a language no checked-in volunteer speaks, and the checked-in volunteers who
are not on another active round. Starting it keeps its teams, members and stops; the
coordinator follows the visits live and closes the round when the teams are back.
"""

import json

from ..audit.log import record
from ..db import NOW, utcnow, write_transaction
from ..needs.records import ACTIVE
from ..shelters.places import create_place
from ..shelters.registry import ValidationError
from ..text import _l
from ..volunteers.registry import list_volunteers
from . import planning, visits

STATUSES = {
    "planned": _l("Planned"),
    "active": _l("On the way"),
    "done": _l("Done"),
}
LIMITS = {"teams": (1, 50), "stops_per_team": (1, 20), "team_size": (1, 6)}
LIMIT_LABELS = {
    "teams": _l("Teams"),
    "stops_per_team": _l("Places per team"),
    "team_size": _l("People per team"),
}
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE)


class RoundNotFound(LookupError):
    pass


def parse_settings(values):
    """Teams, places per team, people per team: whole numbers within LIMITS."""
    clean, errors = {}, {}
    defaults = {"teams": "", "stops_per_team": "6", "team_size": "2"}
    for key, (low, high) in LIMITS.items():
        raw = str(values.get(key, defaults[key]) or defaults[key]).strip()
        if key == "teams" and raw == "":
            clean[key] = None  # as many as the volunteers make
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[key] = _l("%(field)s: a whole number from %(low)s to %(high)s.",
                             field=LIMIT_LABELS[key], low=low, high=high)
        else:
            clean[key] = int(raw)
    if errors:
        raise ValidationError(errors)
    return clean


def places_to_visit(db, now=None):
    """Every place with foreign evacuees or unresolved needs, as the planner wants it,
    and the rows the pages show: {id: row}."""
    now = now or NOW()
    checked_in = {r[0] for r in db.execute(
        "SELECT DISTINCT l.language FROM volunteer_language l JOIN volunteer v ON "
        "v.id = l.volunteer_id WHERE v.checked_in_at IS NOT NULL AND l.level IN "
        f"({', '.join(repr(x) for x in sorted(planning.SPEAKING_LEVELS))})")}
    languages, needs, unservable = {}, {}, {}
    for place_id, tag, people in db.execute(
            "SELECT shelter_id, language, people FROM shelter_language"):
        languages.setdefault(place_id, {})[tag] = people
    for place_id, tag, urgency, count in db.execute(
            f"SELECT shelter_id, language, urgency, count(*) FROM need WHERE status IN "
            f"({_ACTIVE_SQL}) GROUP BY shelter_id, language, urgency"):
        by_urgency = needs.setdefault(place_id, {})
        by_urgency[urgency] = by_urgency.get(urgency, 0) + count
        if tag not in checked_in and tag not in ("ja", "ja-x-easy"):
            unservable[place_id] = unservable.get(place_id, 0) + count
    last = visits.last_visits(db)
    wanted = set(languages) | set(needs)
    rows = {r["id"]: r for r in db.query(
        "SELECT id, name, name_kana, name_en, name_romaji, kind, ward, district, lat, lon, "
        "status, official, location_approximate FROM shelter WHERE lat IS NOT NULL AND "
        "lon IS NOT NULL") if r["id"] in wanted}
    candidates = []
    for place_id, row in sorted(rows.items()):
        if row["status"] == "closed" and place_id not in needs:
            continue
        candidates.append(planning.PlaceToVisit(
            place_id, row["lat"], row["lon"], languages.get(place_id, {}),
            visits.hours_since(last.get(place_id), now), needs.get(place_id, {}),
            unservable.get(place_id, 0)))
    return candidates, rows


def available_volunteers(db):
    """Checked-in volunteers who are not on a team of another active round."""
    busy = {r[0] for r in db.execute(
        "SELECT m.volunteer_id FROM patrol_member m JOIN patrol_team t ON t.id = m.team_id "
        "JOIN patrol_round r ON r.id = t.round_id WHERE r.status = 'active'")}
    return [v for v in list_volunteers(db, checked_in=True) if v["id"] not in busy]


def propose(db, city, settings, now=None):
    """(plan, place rows, volunteers by id): what starting a round would do now."""
    candidates, rows = places_to_visit(db, now)
    people = available_volunteers(db)
    team_volunteers = [planning.PatrolVolunteer(v["id"], v["lat"], v["lon"], v["languages"])
                       for v in people]
    plan = planning.plan_patrol(candidates, team_volunteers, start=start_of(city),
                                teams=settings.get("teams"),
                                team_size=settings.get("team_size", 2),
                                stops_per_team=settings.get("stops_per_team", 6))
    return plan, rows, {v["id"]: v for v in people}


def start_of(city):
    """Where teams leave from and come back to: the disaster prevention center."""
    return tuple(city.coordination_center or city.center)


def create_round(db, city, settings, *, name, actor, now=None):
    """Plan now and keep the plan as an active round; returns its id. A plan without
    teams (nobody checked in) or without places is refused, naming why."""
    name = (name or "").strip()[:80]
    if not name:
        raise ValidationError({"name": _l("%(field)s: required.", field=_l("Name of the round"))})
    with write_transaction(db):
        plan, _rows, _people = propose(db, city, settings, now)
        teams = [t for t in plan.teams if t.stops]
        if not plan.teams:
            raise ValidationError({"teams": _l(
                "%(field)s: no volunteer is checked in (or all are on another round).",
                field=LIMIT_LABELS["teams"])})
        if not teams:
            raise ValidationError({"teams": _l(
                "%(field)s: no place needs a visit that these teams can serve.",
                field=LIMIT_LABELS["teams"])})
        at = utcnow()
        lat, lon = start_of(city)
        round_id = db.execute(
            "INSERT INTO patrol_round (name, status, start_lat, start_lon, created_at, "
            "created_by, updated_at) VALUES (?, 'active', ?, ?, ?, ?, ?)",
            [name, lat, lon, at, actor.name, at]).lastrowid
        for number, team in enumerate(teams, 1):
            team_id = db.execute(
                "INSERT INTO patrol_team (round_id, name, distance_m) VALUES (?, ?, ?)",
                [round_id, f"{number}", round(team.distance_m)]).lastrowid
            db.conn.executemany("INSERT INTO patrol_member (team_id, volunteer_id) "
                                "VALUES (?, ?)", [(team_id, m) for m in team.members])
            db.conn.executemany(
                "INSERT INTO patrol_stop (team_id, position, place_id, reasons) "
                "VALUES (?, ?, ?, ?)",
                [(team_id, position, stop.place_id,
                  json.dumps({**stop.reasons, "covered": stop.covered}))
                 for position, stop in enumerate(team.stops, 1)])
        record(db, actor, "create", "patrol_round", round_id, at=at, after={
            "name": name, "teams": len(teams), "stops": sum(len(t.stops) for t in teams),
            "distance_m": round(sum(t.distance_m for t in teams)),
            "left_out": len(plan.left_out)})
        return round_id


def list_rounds(db, limit=50):
    return list(db.query(
        "SELECT r.*, (SELECT count(*) FROM patrol_team WHERE round_id = r.id) AS teams, "
        "(SELECT count(*) FROM patrol_stop s JOIN patrol_team t ON t.id = s.team_id "
        "WHERE t.round_id = r.id) AS stops, (SELECT coalesce(sum(distance_m), 0) FROM "
        "patrol_team WHERE round_id = r.id) AS distance_m FROM patrol_round r "
        "ORDER BY r.status = 'done', r.id DESC LIMIT ?", [limit]))


def get_round(db, round_id):
    """The round with its teams: members (names, languages), stops in order (the place,
    why it was chosen, and the visit made there since the round started)."""
    rows = list(db.query("SELECT * FROM patrol_round WHERE id = ?", [round_id]))
    if not rows:
        raise RoundNotFound(round_id)
    the_round = dict(rows[0])
    the_round["teams"] = [team(db, r["id"]) for r in db.query(
        "SELECT id FROM patrol_team WHERE round_id = ? ORDER BY id", [round_id])]
    return the_round


def team(db, team_id):
    rows = list(db.query("SELECT t.*, r.name AS round_name, r.status AS round_status, "
                         "r.created_at AS round_started, r.start_lat, r.start_lon "
                         "FROM patrol_team t JOIN patrol_round r ON r.id = t.round_id "
                         "WHERE t.id = ?", [team_id]))
    if not rows:
        raise RoundNotFound(team_id)
    found = dict(rows[0])
    found["members"] = []
    for row in db.query("SELECT v.id, v.name, v.user_id FROM patrol_member m JOIN volunteer v "
                        "ON v.id = m.volunteer_id WHERE m.team_id = ? ORDER BY v.name",
                        [team_id]):
        spoken = dict(db.execute("SELECT language, level FROM volunteer_language WHERE "
                                 "volunteer_id = ?", [row["id"]]).fetchall())
        found["members"].append({**dict(row), "languages": spoken})
    found["languages"] = sorted({t for m in found["members"] for t, level in
                                 m["languages"].items() if level in planning.SPEAKING_LEVELS})
    found["stops"] = []
    for row in db.query(
            "SELECT p.position, p.place_id, p.reasons, s.name, s.name_kana, s.name_en, "
            "s.name_romaji, s.kind, s.ward, s.district, s.address, s.lat, s.lon, "
            "s.location_approximate, (SELECT max(at) FROM visit v WHERE v.place_id = "
            "p.place_id AND v.team_id = p.team_id) AS visited_at, (SELECT max(at) FROM "
            "visit v WHERE v.place_id = p.place_id) AS last_visit "
            "FROM patrol_stop p JOIN shelter s ON s.id = p.place_id WHERE p.team_id = ? "
            "ORDER BY p.position", [team_id]):
        stop = dict(row)
        stop["reasons"] = json.loads(stop["reasons"])
        stop["languages"] = dict(db.execute(
            "SELECT language, people FROM shelter_language WHERE shelter_id = ? "
            "ORDER BY people DESC", [stop["place_id"]]).fetchall())
        stop["needs"] = list(db.query(
            f"SELECT id, category, language, people, urgency FROM need WHERE shelter_id = ? "
            f"AND status IN ({_ACTIVE_SQL}) ORDER BY priority, created_at", [stop["place_id"]]))
        found["stops"].append(stop)
    return found


def teams_of_user(db, user_id):
    """The teams of active rounds a signed-in volunteer is a member of."""
    return [r[0] for r in db.execute(
        "SELECT m.team_id FROM patrol_member m JOIN volunteer v ON v.id = m.volunteer_id "
        "JOIN patrol_team t ON t.id = m.team_id JOIN patrol_round r ON r.id = t.round_id "
        "WHERE v.user_id = ? AND r.status = 'active'", [user_id])]


def add_found_place(db, city, team_id, values, *, actor):
    """A team found people at a place the registry does not hold: the place is added
    (as a coordinator would) and becomes the next stop of the team's route, so the
    team's phone records needs and the visit there. One transaction."""
    with write_transaction(db):
        place = create_place(db, values, city, actor=actor)
        position = db.execute("SELECT coalesce(max(position), 0) + 1 FROM patrol_stop "
                              "WHERE team_id = ?", [team_id]).fetchone()[0]
        db.execute("INSERT INTO patrol_stop (team_id, position, place_id, reasons) "
                   "VALUES (?, ?, ?, ?)", [team_id, position, place["id"],
                                           json.dumps({"found": True, "covered": []})])
        return place


def finish_round(db, round_id, *, actor):
    with write_transaction(db):
        changed = db.execute("UPDATE patrol_round SET status = 'done', updated_at = ? "
                             "WHERE id = ? AND status != 'done'",
                             [utcnow(), round_id]).rowcount
        if changed:
            record(db, actor, "update", "patrol_round", round_id,
                   before={"status": "active"}, after={"status": "done"})
        return bool(changed)


def unvisited_places(db, now=None, limit=30):
    """Places with foreign evacuees or needs, the longest unvisited first (never first)."""
    candidates, rows = places_to_visit(db, now)
    ordered = sorted(candidates, key=lambda p: (
        -(p.hours_since_visit if p.hours_since_visit is not None else float("inf")), p.id))
    return [{**rows[p.id], "hours": p.hours_since_visit,
             "foreign": sum(p.languages.values()),
             "needs": sum(p.open_needs.values()), "unservable": p.unservable}
            for p in ordered[:limit]]
