"""The volunteer registry: who speaks what, can do what, is where and when.

Contact details are stored only with the volunteer's consent (its date is
kept) and shown to coordinators only; ``purge`` removes them after an event.
"""

import csv
import datetime
import io
import json
import re

from ..audit.log import record
from ..db import to_utc, utcnow, write_transaction
from ..parameters import whole_number
from ..personal_data import purger
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import languages, skills
from .matching import LEVELS

FIELD_LABELS = {
    "name": _l("Name"), "phone": _l("Phone"), "email": _l("E-mail"), "ward": _l("Home ward"),
    "lat": _l("Latitude"), "lon": _l("Longitude"),
    "max_assignments": _l("Assignments at the same time"), "consent_date": _l("Consent date"),
    "languages": _l("Languages"), "skills": _l("Skills"), "availability": _l("Availability"),
    "note": _l("Note"),
}
LEVEL_LABELS = {
    "native": _l("native"), "fluent": _l("fluent"), "conversational": _l("conversational"),
    "simple_japanese": _l("simple, slow Japanese"), "reading": _l("reading only"),
}
SKILL_LABELS = {
    "interpretation": _l("interpretation"), "translation": _l("document translation"),
    "medical_interpretation": _l("medical interpretation"), "easy_japanese": _l("Easy Japanese"),
    "legal_residence": _l("legal and residence procedures"), "counselling": _l("counselling"),
    "childcare": _l("childcare"), "care": _l("care of elderly and disabled people"),
    "driving": _l("driving"),
}
CSV_COLUMNS = ("name", "phone", "email", "ward", "lat", "lon", "max_assignments",
               "consent_date", "languages", "skills", "availability", "note")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+()\- ]{3,20}$")


class VolunteerNotFound(LookupError):
    pass


def parse_languages(value):
    """'vi:native; en:fluent' or a dict → {tag: level}."""
    if isinstance(value, dict):
        pairs = value.items()
    else:
        pairs = [part.split(":", 1) if ":" in part else (part, "")
                 for part in re.split(r"[;,]", value or "") if part.strip()]
    result = {}
    for tag, level in pairs:
        tag, level = tag.strip(), level.strip()
        if tag not in languages() or level not in LEVELS or (
                level == "simple_japanese" and tag != "ja"):
            raise ValueError(f"{tag}:{level}")
        result[tag] = level
    return result


def parse_skills(value):
    items = value if isinstance(value, list) else [
        s.strip() for s in re.split(r"[;,]", value or "") if s.strip()]
    unknown = [str(s) for s in items if not isinstance(s, str) or s not in skills()]
    if unknown:
        raise ValueError(", ".join(unknown))
    return sorted(set(items))


def parse_availability(value):
    """'2026-11-26T09:00/2026-11-26T17:00; ...' (Japan time) → [(start, end)] in UTC."""
    items = value if isinstance(value, list) else [
        part.strip() for part in re.split(r"[;,]", value or "") if part.strip()]
    windows = []
    for item in items:
        start, end = item.split("/") if isinstance(item, str) else item
        start, end = to_utc(start), to_utc(end)
        if end <= start:
            raise ValueError(item)
        windows.append((start, end))
    return windows


def check(values, wards):
    """Clean volunteer values (form strings, CSV cells or JSON); ValidationError per field."""
    errors, clean = {}, {}
    name = (values.get("name") or "").strip()
    if not name or len(name) > 80:
        errors["name"] = _l("%(field)s: 1 to 80 characters.", field=FIELD_LABELS["name"])
    clean["name"] = name
    phone = (values.get("phone") or "").strip()
    if phone and not PHONE.match(phone):
        errors["phone"] = _l("%(field)s: digits, spaces, + ( ) and - only.",
                             field=FIELD_LABELS["phone"])
    clean["phone"] = phone or None
    email = (values.get("email") or "").strip()
    if email and not EMAIL.match(email):
        errors["email"] = _l("%(field)s: an address such as name@example.org.",
                             field=FIELD_LABELS["email"])
    clean["email"] = email or None
    ward = (values.get("ward") or "").strip()
    if ward and ward not in wards:
        errors["ward"] = _l("%(field)s: one of %(wards)s.", field=FIELD_LABELS["ward"],
                            wards=", ".join(sorted(wards)))
    clean["ward"] = ward or None
    for key, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        raw = values.get(key)
        raw = "" if raw is None else str(raw).strip()
        try:
            number = float(raw) if raw else None
        except ValueError:
            number = "bad"
        if number == "bad" or (number is not None and not low <= number <= high):
            errors[key] = _l("%(field)s: a number from %(low)s to %(high)s, or empty.",
                             field=FIELD_LABELS[key], low=low, high=high)
        clean[key] = None if number == "bad" else number
    number = whole_number(str(values.get("max_assignments") or "2"))
    if number is None or not 1 <= number <= 20:
        errors["max_assignments"] = _l("%(field)s: a whole number from 1 to 20.",
                                       field=FIELD_LABELS["max_assignments"])
    else:
        clean["max_assignments"] = number
    consent = str(values.get("consent_date") or "").strip()
    try:
        clean["consent_at"] = datetime.date.fromisoformat(consent).isoformat()
    except ValueError:
        errors["consent_date"] = _l(
            "%(field)s: the date the volunteer agreed that their data is kept, such as "
            "2026-11-20. Without consent nothing is stored.", field=FIELD_LABELS["consent_date"])
    try:
        clean["languages"] = parse_languages(values.get("languages"))
        if not clean["languages"]:
            raise ValueError("")
    except ValueError:
        errors["languages"] = _l(
            "%(field)s: at least one, written as tag:level, e.g. vi:native; en:fluent "
            "(levels: native, fluent, conversational, reading, simple_japanese for ja).",
            field=FIELD_LABELS["languages"])
    try:
        clean["skills"] = parse_skills(values.get("skills"))
    except ValueError as exc:
        errors["skills"] = _l("%(field)s: unknown: %(values)s.", field=FIELD_LABELS["skills"],
                              values=str(exc))
    try:
        clean["availability"] = parse_availability(values.get("availability"))
    except (ValueError, TypeError):
        errors["availability"] = _l(
            "%(field)s: start/end pairs in Japan time, e.g. 2026-11-26T09:00/2026-11-26T17:00.",
            field=FIELD_LABELS["availability"])
    note = (values.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _l("%(field)s: at most 200 characters.", field=FIELD_LABELS["note"])
    clean["note"] = note or None
    if errors:
        raise ValidationError(errors)
    return clean


def _write(db, volunteer_id, clean, now):
    db.execute("DELETE FROM volunteer_language WHERE volunteer_id = ?", [volunteer_id])
    db.execute("DELETE FROM volunteer_skill WHERE volunteer_id = ?", [volunteer_id])
    db.execute("DELETE FROM volunteer_availability WHERE volunteer_id = ?", [volunteer_id])
    for tag, level in clean["languages"].items():
        db.execute("INSERT INTO volunteer_language VALUES (?, ?, ?)", [volunteer_id, tag, level])
    for skill in clean["skills"]:
        db.execute("INSERT INTO volunteer_skill VALUES (?, ?)", [volunteer_id, skill])
    for start, end in clean["availability"]:
        db.execute("INSERT INTO volunteer_availability (volunteer_id, starts_at, ends_at) "
                   "VALUES (?, ?, ?)", [volunteer_id, start, end])


COLUMNS = ("name", "phone", "email", "ward", "lat", "lon", "max_assignments", "consent_at",
           "note")


def create_volunteer(db, values, *, actor, wards, user_id=None):
    clean = check(values, wards)
    with write_transaction(db):
        now = utcnow()
        cursor = db.execute(
            f"INSERT INTO volunteer ({', '.join(COLUMNS)}, user_id, created_at, updated_at) "
            f"VALUES ({', '.join('?' * len(COLUMNS))}, ?, ?, ?)",
            [clean[c] for c in COLUMNS] + [user_id, now, now])
        volunteer_id = cursor.lastrowid
        _write(db, volunteer_id, clean, now)
        record(db, actor, "create", "volunteer", volunteer_id, at=now,
               after=_public(clean))
    return volunteer_id


def update_volunteer(db, volunteer_id, values, *, actor, wards):
    clean = check(values, wards)
    with write_transaction(db):
        before = get_volunteer(db, volunteer_id)
        now = utcnow()
        db.execute(f"UPDATE volunteer SET {', '.join(c + ' = ?' for c in COLUMNS)}, "
                   "updated_at = ? WHERE id = ?",
                   [clean[c] for c in COLUMNS] + [now, volunteer_id])
        _write(db, volunteer_id, clean, now)
        record(db, actor, "update", "volunteer", volunteer_id, at=now,
               before=_public(before), after=_public(clean))


def _public(values):
    """What the audit log keeps: never contact details."""
    return {k: values.get(k) for k in ("name", "ward", "max_assignments", "languages",
                                        "skills")}


def get_volunteer(db, volunteer_id):
    rows = list(db.query("SELECT * FROM volunteer WHERE id = ?", [volunteer_id]))
    if not rows:
        raise VolunteerNotFound(volunteer_id)
    return _details(db, [rows[0]])[0]


def _details(db, rows):
    if not rows:
        return []
    # one JSON array, not one SQL variable per volunteer: SQLite allows 32,766 of those
    ids = [json.dumps([r["id"] for r in rows])]
    chosen = "volunteer_id IN (SELECT value FROM json_each(?))"
    langs, skill_map, windows, active = {}, {}, {}, {}
    for vid, tag, level in db.execute(
            f"SELECT volunteer_id, language, level FROM volunteer_language WHERE {chosen}", ids):
        langs.setdefault(vid, {})[tag] = level
    for vid, skill in db.execute(
            f"SELECT volunteer_id, skill FROM volunteer_skill WHERE {chosen}", ids):
        skill_map.setdefault(vid, []).append(skill)
    for vid, start, end in db.execute(
            f"SELECT volunteer_id, starts_at, ends_at FROM volunteer_availability WHERE {chosen} "
            "ORDER BY starts_at", ids):
        windows.setdefault(vid, []).append((start, end))
    for vid, count in db.execute(
            f"SELECT volunteer_id, count(*) FROM assignment WHERE {chosen} "
            "AND status IN ('confirmed', 'accepted') GROUP BY volunteer_id", ids):
        active[vid] = count
    order = list(languages())
    result = []
    for row in rows:
        volunteer = dict(row)
        volunteer["languages"] = dict(sorted(langs.get(row["id"], {}).items(),
                                             key=lambda kv: order.index(kv[0])))
        volunteer["skills"] = sorted(skill_map.get(row["id"], []))
        volunteer["availability"] = windows.get(row["id"], [])
        volunteer["active"] = active.get(row["id"], 0)
        result.append(volunteer)
    return result


def list_volunteers(db, *, language=None, checked_in=None):
    sql, params = "SELECT * FROM volunteer", []
    where = []
    if language:
        where.append("id IN (SELECT volunteer_id FROM volunteer_language WHERE language = ?)")
        params.append(language)
    if checked_in is not None:
        where.append("checked_in_at IS NOT NULL" if checked_in else "checked_in_at IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return _details(db, list(db.query(sql + " ORDER BY name, id", params)))


def is_available(volunteer, now=None):
    """Checked in now, or inside one of their availability windows."""
    now = now or utcnow()
    if volunteer["checked_in_at"]:
        return True
    return any(start <= now < end for start, end in volunteer["availability"])


def check_in(db, volunteer_id, place, *, actor, at=None):
    """At the center ("center") or at a shelter (its ID); ``at`` for drills."""
    if place != "center" and not db.execute("SELECT 1 FROM shelter WHERE id = ?",
                                            [place]).fetchone():
        raise ValidationError({"place": _l("Place: the center or a shelter.")})
    with write_transaction(db):
        get_volunteer(db, volunteer_id)
        now = at or utcnow()
        db.execute("UPDATE volunteer SET checked_in_at = ?, checked_in_place = ?, "
                   "updated_at = ? WHERE id = ?", [now, place, now, volunteer_id])
        record(db, actor, "check_in", "volunteer", volunteer_id, at=now, after={"place": place})


def check_out(db, volunteer_id, *, actor):
    with write_transaction(db):
        get_volunteer(db, volunteer_id)
        now = utcnow()
        db.execute("UPDATE volunteer SET checked_in_at = NULL, checked_in_place = NULL, "
                   "updated_at = ? WHERE id = ?", [now, volunteer_id])
        record(db, actor, "check_out", "volunteer", volunteer_id, at=now)


# --- CSV import ---------------------------------------------------------------

def import_csv(db, data, *, actor, wards, name="volunteers.csv"):
    """All or nothing: every row is checked first; a bad row names its line and
    column and nothing is written."""
    from ..shelters.importer import ShelterFileError, decode

    text, _ = decode(name, data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ("name", "consent_date", "languages") if c not in header]
        if missing:
            raise ShelterFileError(name, _l("required column missing: %(columns)s.",
                                            columns=", ".join(missing)), line=1,
                                   column=missing[0])
        for row in reader:
            line = reader.line_num
            values = {k.strip(): (v or "") for k, v in row.items() if k}
            if not any(v.strip() for v in values.values()):
                continue
            try:
                rows.append(check(values, wards))
            except ValidationError as exc:
                column, message = next(iter(exc.errors.items()))
                raise ShelterFileError(name, message, line=line, column=column)
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        # line_num counts the lines read before the bad record
        raise ShelterFileError(name, _l("broken CSV (%(reason)s).", reason=exc),
                               line=reader.line_num + 1)
    with write_transaction(db):
        for clean in rows:
            now = utcnow()
            cursor = db.execute(
                f"INSERT INTO volunteer ({', '.join(COLUMNS)}, created_at, updated_at) "
                f"VALUES ({', '.join('?' * len(COLUMNS))}, ?, ?)",
                [clean[c] for c in COLUMNS] + [now, now])
            _write(db, cursor.lastrowid, clean, now)
        record(db, actor, "import", "volunteer", after={"volunteers": len(rows)})
    return len(rows)


@purger("volunteer contact details")
def _contacts(db):
    return db.execute("UPDATE volunteer SET phone = NULL, email = NULL WHERE phone IS NOT NULL "
                      "OR email IS NOT NULL").rowcount
