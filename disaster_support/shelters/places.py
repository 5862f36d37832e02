"""Places beyond the city's official list: a mosque, a company dormitory, a hotel or a
station holding stranded travellers, a car park where people sleep in their cars, the
people staying at home in a district. Each is a row of the same registry as the
shelters (so needs, head counts, maps, matching, boards and drills work alike), with
``official = 0``: the city's import never touches them and exports keep them apart.

A place is located by a point, or only by its ward and district: it is then drawn at
the ward's centre and marked approximate. Two teams may register the same place;
merging moves its needs, visits, history and links into the other and leaves the old
ID as an alias, so a tablet's or a patrol's queued report for it still arrives.
"""

import json
import re
import unicodedata

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..parameters import choice, whole_number
from ..personal_data import purger
from ..text import _l
from .registry import (FACTS, KIND_GROUPS, KINDS, NAME_FIELDS, STATUSES, ShelterNotFound,
                       ValidationError, get_shelter, record_changes, update_shelter)

# The kinds the center adds; the official ones come from the city's open data only.
ADDED_KINDS = ("temporary_shelter", "religious_facility", "dormitory", "hotel", "station",
               "car_sleeping", "at_home")
# The situation's and the lists' filter: shelters / other places / at home.
GROUPS = KIND_GROUPS
# The places the public sees (the board list, the public map): where people can go. A
# dormitory, a car park or a district's people at home are for the center's eyes.
PUBLIC_KINDS = ("designated_shelter", "welfare_shelter", "emergency_site", "temporary_shelter")
GROUP_LABELS = {
    "shelters": _l("Shelters"),
    "other": _l("Other places"),
    "home": _l("At home"),
}
PLACE_FIELDS = {
    "kind": _l("Kind of place"),
    "name": _l("Name"),
    "ward": _l("Ward"),
    "district": _l("District (町丁目)"),
    "address": _l("Address"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "contact": _l("Contact person or organisation"),
    "status": _l("Status"),
    "evacuees": _l("Evacuees in total"),
}
MAX_TEXT = 200
ID_PREFIX = "P-"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class MergeError(ValueError):
    """A merge that cannot be: ``errors`` names the field, as ValidationError."""


def group_of(kind):
    return next((g for g, kinds in GROUPS.items() if kind in kinds), "other")


def group_sql(group):
    """The SQL condition (on ``s``) and parameters of a group filter."""
    kinds = GROUPS[group]
    return f"s.kind IN ({', '.join('?' * len(kinds))})", list(kinds)


def _line(values, field, errors, required=False, limit=MAX_TEXT):
    raw = values.get(field)
    if raw is None or raw == "":
        if required:
            errors[field] = _l("%(field)s: required.", field=PLACE_FIELDS[field])
        return None
    if not isinstance(raw, str) or _CONTROL.search(raw.replace("\n", " ").replace("\r", " ")):
        errors[field] = _l("%(field)s: text only.", field=PLACE_FIELDS[field])
        return None
    value = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
    if not value and required:
        errors[field] = _l("%(field)s: required.", field=PLACE_FIELDS[field])
    elif len(value) > limit:
        errors[field] = _l("%(field)s: at most %(max)s characters.",
                           field=PLACE_FIELDS[field], max=limit)
    return value or None


def _coordinate(values, field, low, high, errors):
    raw = values.get(field)
    if raw in (None, ""):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high or number != number:
        errors[field] = _l("%(field)s: a number from %(low)s to %(high)s.",
                           field=PLACE_FIELDS[field], low=low, high=high)
        return None
    return round(number, 6)


def parse_place(values, city):
    """Check a new place's fields (form strings or JSON); raise ValidationError."""
    errors = {}
    known = set(PLACE_FIELDS) | {"languages", "staff_languages", *FACTS, *NAME_FIELDS}
    for field in sorted(set(values) - known - {"csrf_token"}):
        errors[field] = _l("Unknown field “%(field)s”.", field=field)
    clean = {"kind": choice(values.get("kind"), ADDED_KINDS)}
    if not clean["kind"]:
        errors["kind"] = _l("%(field)s: choose one of the listed kinds.",
                            field=PLACE_FIELDS["kind"])
    clean["name"] = _line(values, "name", errors, required=True)
    clean["district"] = _line(values, "district", errors, limit=100)
    clean["address"] = _line(values, "address", errors)
    clean["contact"] = _line(values, "contact", errors)
    clean["lat"] = _coordinate(values, "lat", 20.0, 46.0, errors)
    clean["lon"] = _coordinate(values, "lon", 122.0, 154.0, errors)
    if (clean["lat"] is None) != (clean["lon"] is None) and not {"lat", "lon"} & set(errors):
        errors["lat"] = _l("%(field)s: give both latitude and longitude, or neither.",
                           field=PLACE_FIELDS["lat"])
    ward = values.get("ward") or None
    if ward is not None and not city.ward(ward):
        errors["ward"] = _l("%(field)s: choose one of the city's wards.",
                            field=PLACE_FIELDS["ward"])
        ward = None
    if ward is None and clean["lat"] is not None and "lat" not in errors:
        ward = city.ward_for(clean["address"], clean["lat"], clean["lon"])
    if ward is None and "ward" not in errors and (city.wards or clean["lat"] is None):
        errors["ward"] = _l("%(field)s: choose the ward, or give the place's position.",
                            field=PLACE_FIELDS["ward"])
    clean["ward"] = ward
    status = values.get("status") or "open"
    clean["status"] = choice(status, STATUSES)
    if not clean["status"]:
        errors["status"] = _l("%(field)s: choose one of: preparing, open, full, closed.",
                              field=PLACE_FIELDS["status"])
    if errors:
        raise ValidationError(errors)
    return clean


def new_place_id(db):
    row = db.execute("SELECT max(CAST(substr(id, 3) AS INTEGER)) FROM shelter "
                     "WHERE id LIKE 'P-%' AND official = 0").fetchone()
    return f"{ID_PREFIX}{(row[0] or 0) + 1:05d}"


def create_place(db, values, city, *, actor, at=None):
    """Add a place of one of ``ADDED_KINDS`` (with its head counts and facts, checked
    like a shelter's update); returns it. One transaction: all or nothing."""
    clean = parse_place(values, city)
    rest = {k: v for k, v in values.items()
            if (k not in PLACE_FIELDS and k != "csrf_token") or k == "evacuees"}
    if rest.get("evacuees") in (None, ""):
        rest.pop("evacuees", None)
        if isinstance(rest.get("languages"), dict):  # at least the people counted
            rest["evacuees"] = sum(max(0, whole_number(n) or 0)
                                   for n in rest["languages"].values())
    approximate = clean["lat"] is None
    if approximate:
        centre = city.ward(clean["ward"]).centre() if clean["ward"] else None
        clean["lat"], clean["lon"] = centre or city.center
    now = at or utcnow()
    with write_transaction(db):
        place_id = new_place_id(db)
        db.execute(
            "INSERT INTO shelter (id, kind, name, ward, district, address, lat, lon, contact, "
            "status, municipality, official, location_approximate, source, created_at, "
            "created_by, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'center', ?, ?, ?, ?)",
            [place_id, clean["kind"], clean["name"], clean["ward"], clean["district"],
             clean["address"], clean["lat"], clean["lon"], clean["contact"], clean["status"],
             city.code, int(approximate), now, actor.name, now, actor.name])
        record_changes(db, place_id, [("added", None, clean["name"])], actor=actor, at=now)
        record(db, actor, "create", "shelter", place_id, at=now,
               after={k: v for k, v in clean.items() if k != "contact"})
        if rest:
            update_shelter(db, place_id, rest, actor=actor, names=True)
        return get_shelter(db, place_id)


def home_group(db, city, ward, *, actor):
    """The "at home" group of a ward (no district): where reports from people staying
    at home arrive. Created on first use."""
    row = db.execute("SELECT id FROM shelter WHERE kind = 'at_home' AND official = 0 AND "
                     "ward = ? AND district IS NULL ORDER BY id LIMIT 1", [ward]).fetchone()
    if row:
        return get_shelter(db, row[0])
    ward_record = city.ward(ward)
    if ward_record is None:
        raise ValidationError({"ward": _l("%(field)s: choose one of the city's wards.",
                                          field=PLACE_FIELDS["ward"])})
    name = f"{city.name('ja')}{ward_record.name('ja')} 在宅避難"
    return create_place(db, {"kind": "at_home", "name": name, "ward": ward}, city, actor=actor)


def update_place(db, place_id, values, city, *, actor):
    """A coordinator's change of what only added places have: name, district,
    address, position, contact. Recorded in the history like any change."""
    current = get_shelter(db, place_id)
    if current["official"]:
        raise ValidationError({"name": _l(
            "%(field)s: this place is on the city's official list; its data comes from "
            "the city's file.", field=PLACE_FIELDS["name"])})
    merged = {"kind": current["kind"], "name": current["name"], "ward": current["ward"],
              "district": current["district"], "address": current["address"],
              "contact": current["contact"], "status": current["status"]}
    if not current["location_approximate"]:
        merged.update(lat=current["lat"], lon=current["lon"])
    merged.update({k: v for k, v in values.items() if k in PLACE_FIELDS})
    clean = parse_place(merged, city)
    approximate = clean["lat"] is None
    if approximate:
        centre = city.ward(clean["ward"]).centre() if clean["ward"] else None
        clean["lat"], clean["lon"] = centre or city.center
    clean["location_approximate"] = int(approximate)
    changes = [(f, _text(current[f]), _text(v)) for f, v in clean.items()
               if f not in ("status",) and current[f] != v]
    if not changes:
        return []
    now = utcnow()
    with write_transaction(db):
        columns = {f: clean[f] for f, _, _ in changes}
        columns.update(updated_at=now, updated_by=actor.name)
        db.execute(f"UPDATE shelter SET {', '.join(f'{c} = :{c}' for c in columns)} "
                   "WHERE id = :id", {**columns, "id": place_id})
        shown = [(f, "…" if f == "contact" else o, "…" if f == "contact" else n)
                 for f, o, n in changes]
        record_changes(db, place_id, shown, actor=actor, at=now)
        record(db, actor, "update", "shelter", place_id, at=now,
               before={f: o for f, o, _ in shown}, after={f: n for f, _, n in shown})
    return changes


def _text(value):
    return None if value is None else str(value)


# --- Merging ----------------------------------------------------------------------

def current_id(db, place_id):
    """The place an ID means now: itself, or the place it was merged into."""
    row = db.execute("SELECT into_id FROM place_merge WHERE old_id = ?", [place_id]).fetchone()
    return row[0] if row else place_id


def merge_places(db, source_id, target_id, *, actor):
    """Merge ``source_id`` (a place the center added) into ``target_id``: its needs,
    visits, patrol stops, history, tablets, staff and notice areas move; head counts
    keep the larger count of each language (two teams counted the same people); facts
    known to either are kept. The source's last record is kept in ``place_merge`` and
    the audit log, and its ID becomes an alias of the target. Returns the target."""
    errors = {}
    if source_id == target_id:
        errors["into"] = _l("Merge into: choose another place than this one.")
    with write_transaction(db):
        try:
            source = get_shelter(db, source_id)
        except ShelterNotFound:
            raise ValidationError({"place": _l("There is no shelter with this ID.")})
        try:
            target = get_shelter(db, current_id(db, target_id))
        except ShelterNotFound:
            errors["into"] = _l("Merge into: there is no place with this ID.")
            target = None
        if source["official"]:
            errors["place"] = _l("A place on the city's official list cannot be merged "
                                 "into another; merge the other place into it.")
        if errors:
            raise ValidationError(errors)
        target_id = target["id"]
        now = utcnow()
        moved = {}
        for table, column in (("need", "shelter_id"), ("visit", "place_id"),
                              ("patrol_stop", "place_id"), ("shelter_change", "shelter_id"),
                              ("device", "shelter_id")):
            moved[table] = db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                                      [target_id, source_id]).rowcount
        db.execute("INSERT OR IGNORE INTO user_shelter (user_id, shelter_id) "
                   "SELECT user_id, ? FROM user_shelter WHERE shelter_id = ?",
                   [target_id, source_id])
        db.execute("INSERT OR IGNORE INTO notice_posting (notice_id, shelter_id, posted_at, "
                   "posted_by) SELECT notice_id, ?, posted_at, posted_by FROM notice_posting "
                   "WHERE shelter_id = ?", [target_id, source_id])
        db.execute("UPDATE notice_view SET place = ? WHERE place = ? AND NOT EXISTS ("
                   "SELECT 1 FROM notice_view v WHERE v.notice_id = notice_view.notice_id AND "
                   "v.place = ? AND v.language = notice_view.language AND "
                   "v.hour = notice_view.hour)", [target_id, source_id, target_id])
        for notice_id, area in db.execute(
                "SELECT id, area FROM notice WHERE area_kind = 'shelters'").fetchall():
            ids = json.loads(area)
            if source_id in ids:
                ids = sorted({target_id if i == source_id else i for i in ids})
                db.execute("UPDATE notice SET area = ? WHERE id = ?", [json.dumps(ids), notice_id])
        db.execute("UPDATE place_merge SET into_id = ? WHERE into_id = ?", [target_id, source_id])
        values = _merged_values(source, target)
        if values:
            update_shelter(db, target_id, values, actor=actor)
        fill = {f: source[f] for f in ("contact", "district", "address")
                if source[f] and not target[f]}
        if fill:
            db.execute(f"UPDATE shelter SET {', '.join(f'{c} = ?' for c in fill)} WHERE id = ?",
                       [*fill.values(), target_id])
        kept = {k: v for k, v in source.items() if k != "contact"}
        record_changes(db, target_id, [("merged", source_id, source["name"])], actor=actor,
                       at=now)
        db.execute("INSERT INTO place_merge (old_id, into_id, at, actor, record) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [source_id, target_id, now, actor.name,
                    json.dumps(kept, ensure_ascii=False, default=str)])
        db.execute("DELETE FROM shelter WHERE id = ?", [source_id])
        record(db, actor, "merge", "shelter", source_id, at=now, before=kept,
               after={"into": target_id, "moved": moved})
        return get_shelter(db, target_id)


def _merged_values(source, target):
    counts = dict(target["languages"])
    for tag, people in source["languages"].items():
        counts[tag] = max(counts.get(tag, 0), people)
    values = {}
    evacuees = max(target["evacuees"], source["evacuees"], sum(counts.values()))
    if evacuees != target["evacuees"]:
        values["evacuees"] = evacuees
    if counts != target["languages"]:
        values["languages"] = counts
    staff = sorted(set(target["staff_languages"]) | set(source["staff_languages"]))
    if set(staff) != set(target["staff_languages"]):
        values["staff_languages"] = staff
    for fact in FACTS:
        if target[fact] is None and source[fact] is not None:
            values[fact] = source[fact]
    if target["status"] == "closed" and source["status"] != "closed":
        values["status"] = source["status"]
    return values


@purger("contacts of places the center added")
def _contacts(db):
    return db.execute("UPDATE shelter SET contact = NULL WHERE contact IS NOT NULL").rowcount


def kind_label(kind):
    return KINDS.get(kind, kind)
