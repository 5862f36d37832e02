"""Notices in the database: drafts, publishing to an area for a time, versions,
translations of free text, and what each shelter's board shows now."""

import datetime
import json
import re

from flask import current_app, has_app_context

from ..audit.log import record
from ..city import load_city
from ..db import EARLIEST_YEAR, LATEST_YEAR, to_utc, utcnow, write_transaction
from ..needs.records import shelter_of
from ..paths import SHELTERS_DIR
from ..shelters.registry import Conflict, ValidationError
from ..text import _l
from ..vocabulary import languages, need_categories
from .render import EASY, OTHER_NAME, TERMS_OF_SLOT, proper_noun, render
from .templates import OFFICIAL_SLOTS, SLOT_TYPES, items, official_terms, templates

AREA_KINDS = ("all", "wards", "shelters")
MAX_TITLE = 120
MAX_BODY = 2000
MAX_NOTE = 400
PHONE = re.compile(r"^[0-9+()\- ]{3,20}$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

SLOT_LABELS = {
    "place": _l("Place"), "date": _l("Date"), "time": _l("Time"),
    "time_range": _l("From – until"), "item": _l("Item"), "phone": _l("Phone"),
    "note": _l("Note"),
    "areas": _l("Areas"), "hazard": _l("Hazard"), "places": _l("Shelters opened"),
    "intensities": _l("Seismic intensity by ward"), "warnings": _l("Warnings and advisories"),
    "river": _l("River"), "flood_stage": _l("Flood stage"),
}
STATES = {
    "draft": _l("Draft"), "scheduled": _l("Scheduled"), "published": _l("Published"),
    "expired": _l("Expired"), "withdrawn": _l("Withdrawn"),
}


class NoticeNotFound(LookupError):
    pass


def _now():
    return utcnow()


def state(notice, now=None):
    """draft, scheduled, published (on the boards now), expired or withdrawn."""
    now = now or _now()
    if notice["status"] != "published":
        return notice["status"]
    if notice["valid_until"] and notice["valid_until"] <= now:
        return "expired"
    if notice["valid_from"] and notice["valid_from"] > now:
        return "scheduled"
    return "published"


# --- Checking values -----------------------------------------------------------

def check_slots(db, template, raw):
    """Slot values for a template: {name: value}; raise ValidationError per slot."""
    errors, clean = {}, {}
    for name, required in template.slots.items():
        value = (raw.get(name) or "").strip() if isinstance(raw.get(name, ""), str) else None
        label = SLOT_LABELS[name]
        if value is None:
            errors[f"slot_{name}"] = _l("%(field)s: text only.", field=label)
            continue
        if not value:
            if required:
                errors[f"slot_{name}"] = _l("%(field)s: required for this notice.", field=label)
            continue
        problem = _check_slot(db, name, value)
        if problem:
            errors[f"slot_{name}"] = problem
        else:
            clean[name] = value
    unknown = set(raw) - set(template.slots)
    for name in sorted(unknown & set(SLOT_TYPES)):
        if raw.get(name):
            errors[f"slot_{name}"] = _l("%(field)s: this notice has no such value.",
                                        field=SLOT_LABELS[name])
    if errors:
        raise ValidationError(errors)
    return clean


def _check_slot(db, name, value):
    label = SLOT_LABELS[name]
    if name == "date":
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return _l("%(field)s: a date such as 2026-11-26.", field=label)
    elif name == "time":
        if not TIME.match(value):
            return _l("%(field)s: a time such as 15:00.", field=label)
    elif name == "time_range":
        parts = value.split("-")
        if len(parts) != 2 or not all(TIME.match(p) for p in parts) or parts[0] >= parts[1]:
            return _l("%(field)s: two times, the first earlier, such as 15:00-17:00.",
                      field=label)
    elif name == "item":
        if value not in items():
            return _l("%(field)s: choose an item from the list.", field=label)
    elif name == "phone":
        if not PHONE.match(value):
            return _l("%(field)s: digits, spaces, + ( ) and - only.", field=label)
    elif name == "place":
        if value.startswith("shelter:"):
            if not db.execute("SELECT 1 FROM shelter WHERE id = ?",
                              [value[len("shelter:"):]]).fetchone():
                return _l("%(field)s: no shelter with this ID.", field=label)
        elif len(value) > 100:
            return _l("%(field)s: at most 100 characters.", field=label)
    elif name == "note" and len(value) > MAX_NOTE:
        return _l("%(field)s: at most %(max)s characters.", field=label, max=MAX_NOTE)
    elif name in OFFICIAL_SLOTS:
        return _check_official_slot(db, name, value)
    return None


def _check_official_slot(db, name, value):
    """Values the official-information forms write (see notices.render); a value that
    does not fit is refused, naming the slot."""
    label = SLOT_LABELS[name]
    parts = value.split(";")
    wards = {key[len("ward:"):] for key in ward_names()}
    problem = _l("%(field)s: not a value this notice can show.", field=label)
    if len(value) > 4000 or not all(parts):
        return problem
    terms = official_terms()

    def named(code, group):
        return code in terms[group] or (code.startswith(OTHER_NAME)
                                        and 0 < len(code) - len(OTHER_NAME) <= 60)

    if name in TERMS_OF_SLOT:
        return None if len(parts) == 1 and named(value, TERMS_OF_SLOT[name]) else problem
    if name == "warnings":
        return None if all(named(code, "warnings") for code in parts) else problem
    if name == "intensities":
        for part in parts:
            where, _, code = part.partition("=")
            if where not in wards or code not in terms["intensity"]:
                return problem
        return None
    shelters = [p[len("shelter:"):] for p in parts if p.startswith("shelter:")]
    known = {r[0] for r in db.execute(
        f"SELECT id FROM shelter WHERE id IN ({', '.join('?' * len(shelters))})",
        shelters)} if shelters else set()
    for part in parts:
        kind, _, ref = part.partition(":")
        if kind == "shelter" and ref in known:
            continue
        if name == "areas" and kind == "ward" and ref in wards - {"city"}:
            continue
        if name == "areas" and kind == "district":
            ward, _, district = ref.partition("/")
            if ward in wards and 0 < len(district) <= 60:
                continue
        return problem
    return None


def _check_language(tag, field="source_language"):
    if tag not in languages():
        raise ValidationError({field: _l("Language: choose one of the listed languages.")})


def _check_free_text(title, body):
    errors = {}
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _l("Title: 1 to %(max)s characters.", max=MAX_TITLE)
    if not body or len(body) > MAX_BODY:
        errors["body"] = _l("Text: 1 to %(max)s characters.", max=MAX_BODY)
    if errors:
        raise ValidationError(errors)


# --- Reading ---------------------------------------------------------------------

def _decode(row):
    notice = dict(row)
    notice["slots"] = json.loads(notice["slots"])
    notice["area"] = json.loads(notice["area"])
    return notice


def get_notice(db, notice_id):
    rows = list(db.query("SELECT * FROM notice WHERE id = ?", [notice_id]))
    if not rows:
        raise NoticeNotFound(notice_id)
    notice = _decode(rows[0])
    notice["translations"] = {
        r["language"]: r for r in db.query(
            "SELECT * FROM notice_translation WHERE notice_id = ?", [notice_id])}
    notice["state"] = state(notice)
    return notice


def list_notices(db, *, states=None):
    notices = []
    for row in db.query("SELECT * FROM notice ORDER BY updated_at DESC, id DESC"):
        notice = _decode(row)
        notice["state"] = state(notice)
        if not states or notice["state"] in states:
            notices.append(notice)
    return notices


def versions(db, notice_id):
    return [dict(r, snapshot=json.loads(r["snapshot"])) for r in db.query(
        "SELECT * FROM notice_version WHERE notice_id = ? ORDER BY version DESC", [notice_id])]


def shelter_names(db, ids=None):
    """{shelter id: {"ja": name, "en": English name, "kana": reading, "romaji": name in
    Latin letters}} for place slots."""
    sql = "SELECT id, name, name_en, name_kana, name_romaji FROM shelter"
    params = []
    if ids is not None:
        ids = list(ids)
        if not ids:
            return {}
        sql += f" WHERE id IN ({', '.join('?' * len(ids))})"
        params = ids
    return {i: {"ja": n, "en": e, "kana": k, "romaji": r}
            for i, n, e, k, r in db.execute(sql, params)}


def names_for(db, notices):
    """The names a notice's slots need: its shelters (as shelter_names), and for the
    official slots the wards ("ward:<id>", "ward:city"), each {tag: name}."""
    ids = set()
    for notice in notices:
        slots = notice.get("slots", {})
        refs = [slots.get("place", "")] + slots.get("places", "").split(";") \
            + slots.get("areas", "").split(";")
        ids.update(r[len("shelter:"):] for r in refs if r.startswith("shelter:"))
    names = shelter_names(db, ids)
    if any(set(n.get("slots", {})) & OFFICIAL_SLOTS for n in notices):
        names.update(ward_names())
    return names


def ward_names(city=None):
    """{"ward:<id>": {tag: name}} for the city's wards and "ward:city" for the city."""
    city = city or (current_app.extensions["city"] if has_app_context()
                    else load_city(SHELTERS_DIR))
    tags = list(languages())

    def easy(ja, kana):
        return proper_noun(ja, kana) if kana else ja

    names = {f"ward:{w.id}": {t: w.name(t) for t in tags} | {
        EASY: easy(w.names["ja"], w.names.get("ja-Hrkt"))} for w in city.wards}
    names["ward:city"] = {t: city.name(t) for t in tags} | {
        EASY: easy(city.names["ja"], city.names.get("ja-Hrkt"))}
    return names


def area_places(db, notice):
    """The registry IDs of the notice's area."""
    if notice["area_kind"] == "shelters":
        return list(notice["area"])
    if notice["area_kind"] == "wards":
        wards = notice["area"]
        return [r[0] for r in db.execute(
            f"SELECT id FROM shelter WHERE ward IN ({', '.join('?' * len(wards))})", wards)]
    return [r[0] for r in db.execute("SELECT id FROM shelter")]


def people_by_language(db, notice):
    """{tag: people} who read each language in the notice's area (head counts)."""
    places = area_places(db, notice)
    people = {}
    for chunk in range(0, len(places), 500):  # SQLite's limit on parameters
        part = places[chunk:chunk + 500]
        for tag, count in db.execute(
                f"SELECT language, sum(people) FROM shelter_language WHERE shelter_id IN "
                f"({', '.join('?' * len(part))}) GROUP BY language", part):
            people[tag] = people.get(tag, 0) + count
    return people


def board_notices(db, shelter_id, now=None):
    """What the board of a shelter shows now: published, valid, for its area."""
    now = now or _now()
    ward = db.execute("SELECT ward FROM shelter WHERE id = ?", [shelter_id]).fetchone()
    ward = ward[0] if ward else None
    notices = []
    for row in db.query(
            "SELECT * FROM notice WHERE status = 'published' AND (valid_from IS NULL OR "
            "valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?) "
            "ORDER BY published_at DESC, id DESC", [now, now]):
        notice = _decode(row)
        if notice["area_kind"] == "all" or (
                notice["area_kind"] == "wards" and ward in notice["area"]) or (
                notice["area_kind"] == "shelters" and shelter_id in notice["area"]):
            notice["translations"] = {}
            notices.append(notice)
    if notices:
        ids = [n["id"] for n in notices]
        for r in db.query("SELECT * FROM notice_translation WHERE notice_id IN "
                          f"({', '.join('?' * len(ids))})", ids):
            next(n for n in notices if n["id"] == r["notice_id"])["translations"][
                r["language"]] = r
    return notices


# Safety notices come first on a board (issue 18 item 7): the templates whose message
# protects life or health now (aftershocks: stay away from damaged buildings; water that
# must not be drunk); official information is pinned too (see is_pinned).
PINNED_TEMPLATES = frozenset({"aftershock", "non-drinking-water"})


def is_pinned(notice):
    """A safety template's notice, or official information (an evacuation order, a
    warning: intake/)."""
    template = templates().get(notice.get("template_id") or "")
    return template is not None and (template.id in PINNED_TEMPLATES or template.official)


def board_order(notices):
    """The board's order: pinned safety notices first, then the rest; within each,
    the order given (board_notices: the newest first). A new list."""
    return sorted(notices, key=lambda n: not is_pinned(n))


def missing_translations(db):
    """(notice, language) pairs a person must still translate, for live notices."""
    missing = []
    for notice in list_notices(db, states=("draft", "scheduled", "published")):
        notice = get_notice(db, notice["id"])
        for tag in languages():
            if render(notice, tag).needs_translation:
                missing.append((notice, tag))
    return missing


# --- Writing ---------------------------------------------------------------------

def _snapshot(notice):
    keep = ("template_id", "category", "slots", "source_language", "title", "body", "status",
            "area_kind", "area", "valid_from", "valid_until")
    return {k: notice[k] for k in keep}


def suggested_area(db, *, template=None, slots=None, need_id=None):
    """(area kind, area) a new draft proposes: the shelter of the need it answers
    (never the whole city for an answer), else what its template suggests, else the
    whole city. The coordinator sees it and may change it before publishing."""
    if need_id is not None:
        shelter_id = shelter_of(db, need_id)
        if shelter_id is None:
            raise ValidationError({"need_id": _l("Need: no need with this number.")})
        return "shelters", [shelter_id]
    suggestion = template.area if template else None
    if suggestion in ("wards", "shelters"):
        place = (slots or {}).get("place", "")
        row = db.execute("SELECT id, ward FROM shelter WHERE id = ?",
                         [place[len("shelter:"):]]).fetchone() \
            if place.startswith("shelter:") else None
        # no shelter named: the kind alone; publishing then asks which ones
        if suggestion == "shelters":
            return "shelters", [row[0]] if row else []
        return "wards", [row[1]] if row and row[1] else []
    return "all", []


def create_notice(db, *, actor, template_id=None, slots=None, source_language="ja",
                  title=None, body=None, category=None, need_id=None):
    """A draft from a template (with slot values) or free text in one language; for
    a need, its area is proposed as the need's shelter (see suggested_area)."""
    _check_language(source_language)
    if template_id:
        template = templates().get(template_id)
        if template is None:
            raise ValidationError({"template_id": _l("Template: choose one from the list.")})
        clean = check_slots(db, template, slots or {})
        category, title, body = template.category, None, None
    else:
        title, body = (title or "").strip(), (body or "").strip()
        _check_free_text(title, body)
        if category not in need_categories():
            raise ValidationError({"category": _l("Category: choose one from the list.")})
        clean = {}
    area_kind, area = suggested_area(db, template=templates().get(template_id or ""),
                                     slots=clean, need_id=need_id)
    now = _now()
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO notice (template_id, category, slots, source_language, title, body, "
            "area_kind, area, created_at, created_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [template_id, category, json.dumps(clean, ensure_ascii=False), source_language,
             title, body, area_kind, json.dumps(area), now, actor.name, now])
        notice_id = cursor.lastrowid
        after = {"template_id": template_id, "slots": clean, "title": title}
        if need_id is not None:
            after["need_id"] = need_id
        record(db, actor, "create", "notice", notice_id, at=now, after=after)
    return notice_id


def update_notice(db, notice_id, *, actor, slots=None, title=None, body=None,
                  expected_version=None):
    """Change the values or the free text; a published notice gets a new version.

    ``expected_version`` is the version the editor's form was drawn from: if somebody
    changed the notice since, Conflict is raised and nothing is saved."""
    with write_transaction(db):
        notice = get_notice(db, notice_id)
        if expected_version is not None and notice["version"] != expected_version:
            raise Conflict({"version": _l(
                "Notice %(id)s was changed meanwhile: it is version %(now)s now, you saw "
                "version %(seen)s. Nothing was saved: read it again, then make your change.",
                id=notice_id, now=notice["version"], seen=expected_version)}, notice)
        if notice["status"] == "withdrawn":
            raise ValidationError({"status": _l("A withdrawn notice cannot be changed.")})
        changes = {}
        if notice["template_id"]:
            clean = check_slots(db, templates()[notice["template_id"]], slots or {})
            if clean != notice["slots"]:
                changes["slots"] = clean
                if clean.get("note") != notice["slots"].get("note"):
                    # the translated note no longer matches
                    db.execute("UPDATE notice_translation SET note = NULL WHERE notice_id = ?",
                               [notice_id])
        else:
            title, body = (title or "").strip(), (body or "").strip()
            _check_free_text(title, body)
            if (title, body) != (notice["title"], notice["body"]):
                changes.update(title=title, body=body)
                db.execute("DELETE FROM notice_translation WHERE notice_id = ?", [notice_id])
        if not changes:
            return False
        _save_version(db, notice, actor)
        now = _now()
        columns = {k: json.dumps(v, ensure_ascii=False) if k == "slots" else v
                   for k, v in changes.items()}
        assignments = ", ".join(f"{k} = ?" for k in columns)
        db.execute(f"UPDATE notice SET {assignments}, version = version + 1, updated_at = ? "
                   "WHERE id = ?", [*columns.values(), now, notice_id])
        record(db, actor, "update", "notice", notice_id, at=now,
               before={k: notice[k] for k in changes}, after=changes)
    return True


def replace_template(db, notice_id, *, template_id, slots, actor):
    """A newer word from the same source (a JMA report updated): the notice takes another
    official template and its values; a published one keeps its place on the boards as a
    new version. The note the coordinator wrote stays. Returns whether anything changed."""
    template = templates().get(template_id)
    with write_transaction(db):
        notice = get_notice(db, notice_id)
        if notice["status"] == "withdrawn":
            raise ValidationError({"status": _l("A withdrawn notice cannot be changed.")})
        slots = dict(slots)
        if "note" in template.slots and notice["slots"].get("note"):
            slots["note"] = notice["slots"]["note"]
        clean = check_slots(db, template, slots)
        if (template_id, clean) == (notice["template_id"], notice["slots"]):
            return False
        _save_version(db, notice, actor)
        now = _now()
        db.execute("UPDATE notice SET template_id = ?, category = ?, slots = ?, "
                   "version = version + 1, updated_at = ? WHERE id = ?",
                   [template_id, template.category, json.dumps(clean, ensure_ascii=False), now,
                    notice_id])
        record(db, actor, "update", "notice", notice_id, at=now,
               before={"template_id": notice["template_id"], "slots": notice["slots"]},
               after={"template_id": template_id, "slots": clean})
    return True


def _save_version(db, notice, actor):
    db.execute("INSERT INTO notice_version (notice_id, version, at, actor, snapshot) "
               "VALUES (?, ?, ?, ?, ?)",
               [notice["id"], notice["version"], _now(), actor.name,
                json.dumps(_snapshot(notice), ensure_ascii=False)])


def check_area(db, area_kind, area):
    if area_kind not in AREA_KINDS:
        raise ValidationError({"area_kind": _l("Area: all, wards or shelters.")})
    if area_kind == "all":
        return []
    area = sorted({a for a in area if a})
    if not area:
        raise ValidationError({"area": _l("Area: choose at least one.")})
    if area_kind == "wards":
        known = {r[0] for r in db.execute("SELECT DISTINCT ward FROM shelter "
                                          "WHERE ward IS NOT NULL")}
    else:
        known = {r[0] for r in db.execute(
            f"SELECT id FROM shelter WHERE id IN ({', '.join('?' * len(area))})", area)}
    unknown = [a for a in area if a not in known]
    if unknown:
        raise ValidationError({"area": _l("Area: unknown: %(values)s.",
                                          values=", ".join(unknown))})
    return area


def check_validity(valid_from, valid_until):
    def parse(value, field):
        if not value:
            return None
        try:
            return to_utc(value)
        except ValueError:
            raise ValidationError({field: _l(
                "Valid from / until: a date and time from %(first)s to %(last)s, such as "
                "2026-11-26T18:00.", first=EARLIEST_YEAR, last=LATEST_YEAR)})

    start, end = parse(valid_from, "valid_from"), parse(valid_until, "valid_until")
    if end and end <= (start or _now()):
        raise ValidationError({"valid_until": _l(
            "Valid until: must be later than the start and than now.")})
    return start, end


def publish(db, notice_id, *, actor, area_kind="all", area=(), valid_from=None,
            valid_until=None):
    """Put the notice on the boards of its area for its validity window."""
    area = check_area(db, area_kind, list(area))
    start, end = check_validity(valid_from, valid_until)
    with write_transaction(db):
        notice = get_notice(db, notice_id)
        if notice["status"] == "withdrawn":
            raise ValidationError({"status": _l("A withdrawn notice cannot be published.")})
        if notice["status"] == "published":
            _save_version(db, notice, actor)
        now = _now()
        db.execute("UPDATE notice SET status = 'published', area_kind = ?, area = ?, "
                   "valid_from = ?, valid_until = ?, published_at = ?, published_by = ?, "
                   "updated_at = ?, version = version + ? WHERE id = ?",
                   [area_kind, json.dumps(area), start or now, end, now, actor.name, now,
                    1 if notice["status"] == "published" else 0, notice_id])
        record(db, actor, "publish", "notice", notice_id, at=now,
               before={"status": notice["status"]},
               after={"area_kind": area_kind, "area": area, "valid_from": start or now,
                      "valid_until": end})


def withdraw(db, notice_id, *, actor, drafts_too=False):
    """Take a published notice off the boards (``drafts_too``: a draft as well, so that
    nobody publishes it: its source was cancelled). Withdrawing twice changes nothing."""
    with write_transaction(db):
        notice = get_notice(db, notice_id)
        if drafts_too and notice["status"] == "withdrawn":
            return
        if notice["status"] != "published" and not (drafts_too and notice["status"] == "draft"):
            raise ValidationError({"status": _l("Only a published notice can be withdrawn.")})
        now = _now()
        db.execute("UPDATE notice SET status = 'withdrawn', updated_at = ? WHERE id = ?",
                   [now, notice_id])
        record(db, actor, "withdraw", "notice", notice_id, at=now)


def add_translation(db, notice_id, language, *, actor, title=None, body=None, note=None,
                    translator=None):
    """A person's translation of a free-text notice, or of a template notice's note
    (``translator``: who translated it, when not the one who enters it, as for a pack
    sent back by a remote translator). It waits for a review by someone else."""
    _check_language(language, "language")
    with write_transaction(db):
        notice = get_notice(db, notice_id)
        if language == notice["source_language"]:
            raise ValidationError({"language": _l("This is the notice's own language.")})
        if notice["template_id"]:
            note = (note or "").strip()
            if not notice["slots"].get("note"):
                raise ValidationError({"note": _l("This notice has no note to translate.")})
            if not note or len(note) > MAX_NOTE:
                raise ValidationError({"note": _l("Note: 1 to %(max)s characters.",
                                                  max=MAX_NOTE)})
            title = body = None
        else:
            title, body = (title or "").strip(), (body or "").strip()
            _check_free_text(title, body)
            note = None
        now = _now()
        db.execute("INSERT INTO notice_translation (notice_id, language, title, body, note, "
                   "translated_by, translated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (notice_id, language) DO UPDATE SET title = excluded.title, "
                   "body = excluded.body, note = excluded.note, "
                   "translated_by = excluded.translated_by, "
                   "translated_at = excluded.translated_at, reviewed_by = NULL, "
                   "reviewed_at = NULL",
                   [notice_id, language, title, body, note, translator or actor.name, now])
        record(db, actor, "translate", "notice", notice_id, at=now,
               after={"language": language, "title": title, "body": body, "note": note})
