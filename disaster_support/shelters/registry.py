"""The shelter registry: listing, reading and updating shelters, with history.

Domain functions take a sqlite-utils Database and plain values, so the views,
the API, the CLI and the tests all call the same code.
"""

import json
import re
import unicodedata

from markupsafe import Markup, escape

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..parameters import choice, whole_number
from ..text import _l
from ..vocabulary import languages

STATUSES = {
    "preparing": _l("Preparing"),
    "open": _l("Open"),
    "full": _l("Full"),
    "closed": _l("Closed"),
}

KINDS = {
    "designated_shelter": _l("Designated shelter"),
    "welfare_shelter": _l("Welfare shelter"),
    "emergency_site": _l("Emergency evacuation site"),
    # places the center adds (see places.py): people are where they are
    "temporary_shelter": _l("Temporary or unofficial shelter"),
    "religious_facility": _l("Religious facility (mosque, church, temple)"),
    "dormitory": _l("Company dormitory"),
    "hotel": _l("Hotel holding stranded travellers"),
    "station": _l("Station holding stranded travellers"),
    "car_sleeping": _l("People sleeping in cars"),
    "at_home": _l("People staying at home"),
}

HAZARDS = {
    "flood": _l("Flood"),
    "landslide": _l("Landslide and debris flow"),
    "storm_surge": _l("Storm surge"),
    "earthquake": _l("Earthquake"),
    "tsunami": _l("Tsunami"),
    "large_fire": _l("Large fire"),
    "inland_flood": _l("Inland flooding"),
    "volcano": _l("Volcanic eruption"),
}

# Facts that matter to foreign evacuees: yes (1) / no (0) / not known (NULL).
FACTS = {
    "food_halal": _l("Halal food"),
    "food_vegetarian": _l("Vegetarian food"),
    "food_allergy": _l("Allergy-aware food"),
    "prayer_space": _l("Prayer space"),
    "women_space": _l("Women-only space"),
    "baby_space": _l("Baby care space"),
    "wheelchair": _l("Wheelchair access"),
    "pets": _l("Pets allowed"),
    "charging": _l("Phone charging"),
    "wifi": _l("Wi-Fi"),
}

# The names people read: corrected by coordinators only (see ``update_shelter``).
NAME_FIELDS = {
    "name_kana": _l("Reading of the name (kana)"),
    "name_romaji": _l("Name in Latin letters (romaji)"),
    "name_en": _l("Name in English"),
}

FIELD_LABELS = {
    "status": _l("Status"),
    "capacity": _l("Capacity"),
    "evacuees": _l("Evacuees in total"),
    "languages": _l("Foreign evacuees by language"),
    "staff_languages": _l("Languages staff can use"),
    **FACTS,
    **NAME_FIELDS,
}
MAX_NAME = 200

MAX_PEOPLE = 100_000
SORTS = {
    "name": "coalesce(s.name_kana, s.name), s.name, s.id",
    "ward": "s.ward IS NULL, s.ward, coalesce(s.name_kana, s.name), s.id",
    "occupancy": (
        "CASE WHEN s.capacity > 0 THEN 1.0 * s.evacuees / s.capacity END DESC NULLS LAST, "
        "s.evacuees DESC, s.id"
    ),
    "evacuees": "s.evacuees DESC, s.id",
}
# When a shelter's head counts last changed: the total or one language's people.
LAST_COUNTED = ("(SELECT max(c.at) FROM shelter_change c WHERE c.shelter_id = s.id AND "
                "(c.field = 'evacuees' OR c.field LIKE 'languages.%'))")
SORTS["counted"] = f"{LAST_COUNTED} NULLS FIRST, coalesce(s.name_kana, s.name), s.id"


class ShelterNotFound(LookupError):
    pass


class ValidationError(ValueError):
    """Bad input: ``errors`` maps each field to a message naming it."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """Someone else changed what a (delayed) write expected: nothing was saved.

    ``errors`` maps each field to a message; ``current`` is the record as it is now,
    so that the writer can show both and decide.
    """

    def __init__(self, errors, current):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.current = current


_SELECT = """
SELECT s.*,
       (SELECT json_group_object(language, people) FROM shelter_language
         WHERE shelter_id = s.id) AS languages_json,
       (SELECT coalesce(sum(people), 0) FROM shelter_language
         WHERE shelter_id = s.id) AS foreign_evacuees
FROM shelter s
"""


def _row(row):
    row = dict(row)
    row["hazards"] = json.loads(row["hazards"])
    row["staff_languages"] = json.loads(row["staff_languages"])
    order = list(languages())
    counts = json.loads(row.pop("languages_json") or "{}")
    row["languages"] = dict(sorted(counts.items(), key=lambda kv: _order(order, kv[0])))
    row.pop("open_data", None)
    capacity = row["capacity"]
    row["occupancy"] = row["evacuees"] / capacity if capacity else None
    return row


def _order(order, tag):
    return order.index(tag) if tag in order else len(order)


def count_counted_before(db, cutoff):
    """Open or full shelters whose head counts last changed before ``cutoff`` (or never);
    places the center added are counted by patrol visits, not by shelter staff."""
    kinds = ", ".join(f"'{k}'" for k in SHELTER_KINDS)
    return db.execute(f"SELECT count(*) FROM shelter s WHERE s.status IN ('open', 'full') "
                      f"AND s.kind IN ({kinds}) AND coalesce({LAST_COUNTED}, '') < ?",
                      [cutoff]).fetchone()[0]


# The registry's groups of kinds: the filter "shelters / other places / at home"
# (places.py adds the places beyond the official list).
KIND_GROUPS = {
    "shelters": ("designated_shelter", "welfare_shelter", "emergency_site"),
    "other": ("temporary_shelter", "religious_facility", "dormitory", "hotel", "station",
              "car_sleeping"),
    "home": ("at_home",),
}


def list_shelters(db, *, ward=None, status=None, kind=None, language=None, fact=None,
                  q=None, sort="name", limit=None, offset=0, only=None, group=None):
    """Shelters matching every filter given, in the chosen order.

    ``only``: a set of shelter IDs the caller may see (None: all). ``group``: one of
    ``KIND_GROUPS``.
    """
    where, params = [], {}
    if group in KIND_GROUPS:
        kinds = KIND_GROUPS[group]
        where.append(f"s.kind IN ({', '.join(f':group{i}' for i in range(len(kinds)))})")
        params.update({f"group{i}": k for i, k in enumerate(kinds)})
    if only is not None:
        ids = sorted(only)
        where.append(f"s.id IN ({', '.join(f':only{i}' for i in range(len(ids)))})"
                     if ids else "0")
        params.update({f"only{i}": v for i, v in enumerate(ids)})
    if ward:
        where.append("s.ward = :ward")
        params["ward"] = ward
    if status:
        where.append("s.status = :status")
        params["status"] = status
    if kind:
        where.append("s.kind = :kind")
        params["kind"] = kind
    if language:
        where.append(
            "EXISTS (SELECT 1 FROM shelter_language l WHERE l.shelter_id = s.id "
            "AND l.language = :language)"
        )
        params["language"] = language
    if fact:
        if fact not in FACTS:
            raise ValidationError({"fact": _l("Unknown facility.")})
        where.append(f"s.{fact} = 1")
    if q:
        where.append("(s.name LIKE :q OR s.name_kana LIKE :q OR s.name_en LIKE :q "
                     "OR s.address LIKE :q OR s.id = :exact)")
        params["q"] = f"%{q}%"
        params["exact"] = q
    sql = _SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + SORTS.get(sort, SORTS["name"])
    if limit:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    return [_row(r) for r in db.query(sql, params)]


# What the front page counts as a shelter: the city's kinds and the temporary ones the
# center opens (a mosque or a car park holds people, but is not a shelter to send them to).
SHELTER_KINDS = KIND_GROUPS["shelters"] + ("temporary_shelter",)


def count_shelters(db):
    """Totals for the front page: places, shelters by status, and people (everywhere)."""
    kinds = ", ".join(f"'{k}'" for k in SHELTER_KINDS)
    row = db.execute(
        f"""SELECT count(*),
                  sum(status = 'open' AND kind IN ({kinds})),
                  sum(status = 'full' AND kind IN ({kinds})),
                  sum(status = 'preparing' AND kind IN ({kinds})),
                  coalesce(sum(evacuees), 0),
                  (SELECT coalesce(sum(people), 0) FROM shelter_language)
           FROM shelter"""
    ).fetchone()
    keys = ("shelters", "open", "full", "preparing", "evacuees", "foreign_evacuees")
    return {k: (v or 0) for k, v in zip(keys, row)}


def foreign_evacuees_by_language(db):
    return dict(db.execute(
        "SELECT language, sum(people) FROM shelter_language GROUP BY language "
        "ORDER BY sum(people) DESC"
    ).fetchall())


def _check_expected(current, expected, clean):
    """A field conflicts when it changed since the writer saw it, unless it already
    holds the writer's value (a retry of a write that went through)."""
    errors = {}
    for field, seen in expected.items():
        now, wanted = current[field], clean.get(field, current[field])
        if field == "languages":
            seen, now, wanted = ({k: v for k, v in d.items() if v} for d in (seen, now, wanted))
        if now != seen and now != wanted:
            errors[field] = _l(
                "%(field)s was changed meanwhile (you saw %(seen)s, it is now %(now)s): "
                "nothing was saved.", field=FIELD_LABELS.get(field, field),
                seen=_counts_text(seen), now=_counts_text(now))
    if errors:
        raise Conflict(errors, current)


def _counts_text(value):
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "0"
    return _text(value)


def get_shelter(db, shelter_id):
    rows = list(db.query(_SELECT + " WHERE s.id = ?", [shelter_id]))
    if not rows:
        raise ShelterNotFound(shelter_id)
    return _row(rows[0])


def shelter_history(db, shelter_id, limit=200):
    return list(db.query(
        "SELECT at, actor, via, field, old, new FROM shelter_change "
        "WHERE shelter_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        [shelter_id, limit],
    ))


# --- Updates -----------------------------------------------------------------

def parse_update(values, names=False):
    """Check raw values (form strings or JSON) and return clean ones.

    Only the fields present are checked and returned. Raises ValidationError
    with one message per bad field; a message names the field and says what is
    allowed. The name fields (``NAME_FIELDS``) are accepted only with ``names``.
    """
    clean, errors = {}, {}
    allowed = set(FIELD_LABELS) if names else set(FIELD_LABELS) - set(NAME_FIELDS)
    unknown = set(values) - allowed
    for field in sorted(unknown):
        errors[field] = _l("Unknown field “%(field)s”.", field=field)
    if "status" in values:
        status = choice(values["status"], STATUSES)
        if status:
            clean["status"] = status
        else:
            errors["status"] = _l(
                "%(field)s: choose one of: preparing, open, full, closed.",
                field=FIELD_LABELS["status"],
            )
    if "capacity" in values:
        raw = values["capacity"]
        if raw in (None, ""):
            clean["capacity"] = None
        else:
            number = whole_number(raw)
            if number is None or not 0 <= number <= MAX_PEOPLE:
                errors["capacity"] = _people_message("capacity", blank_allowed=True)
            else:
                clean["capacity"] = number
    if "evacuees" in values:
        number = whole_number(values["evacuees"])
        if number is None or not 0 <= number <= MAX_PEOPLE:
            errors["evacuees"] = _people_message("evacuees")
        else:
            clean["evacuees"] = number
    if "languages" in values:
        counts, bad = {}, []
        raw_counts = values["languages"]
        if not isinstance(raw_counts, dict):
            raw_counts = None
        for tag, raw in (raw_counts or {}).items():
            number = 0 if raw in (None, "") else whole_number(raw)
            if tag not in languages() or number is None or not 0 <= number <= MAX_PEOPLE:
                bad.append(tag)
            elif number:
                counts[tag] = number
        if raw_counts is None or bad:
            errors["languages"] = _l(
                "%(field)s: give a whole number from 0 to %(max)s for each known "
                "language (problem with: %(tags)s).",
                field=FIELD_LABELS["languages"], max=f"{MAX_PEOPLE:,}",
                tags=", ".join(bad) or "—",
            )
        else:
            clean["languages"] = counts
    if "staff_languages" in values:
        tags = values["staff_languages"]
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list) or any(not choice(t, languages()) for t in tags):
            errors["staff_languages"] = _l(
                "%(field)s: choose from the listed languages.",
                field=FIELD_LABELS["staff_languages"],
            )
        else:
            order = list(languages())
            clean["staff_languages"] = sorted(set(tags), key=order.index)
    for fact in FACTS:
        if fact in values:
            raw = values[fact]
            if raw in (None, "", "unknown"):
                clean[fact] = None
            elif raw in (True, 1, "1", "yes", "true"):
                clean[fact] = 1
            elif raw in (False, 0, "0", "no", "false"):
                clean[fact] = 0
            else:
                errors[fact] = _l("%(field)s: choose yes, no or not known.",
                                  field=FACTS[fact])
    for field in NAME_FIELDS:
        if names and field in values:
            value, message = parse_name(field, values[field])
            if message:
                errors[field] = message
            else:
                clean[field] = value
    if errors:
        raise ValidationError(errors)
    return clean


# Kana of a reading: hiragana, katakana, the long-vowel mark, the middle dot, spaces.
_KANA = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fb-\u30fe ]+")
_ROMAJI = re.compile(r"[A-Za-z]+(?:[ -]+[A-Za-z]+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def parse_name(field, raw):
    """(clean value, None) or (None, message naming the field): a reading in kana
    (stored in katakana, as the municipal standard's 名称_カナ), romaji in ASCII
    letters with spaces and hyphens, an English name as one line of text. Empty
    is allowed: the name is then not known."""
    label = NAME_FIELDS[field]
    if raw is None:
        return None, None
    if not isinstance(raw, str):
        return None, _l("%(field)s: text only.", field=label)
    if _CONTROL.search(raw.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")):
        return None, _l("%(field)s: text only.", field=label)
    value = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
    if not value:
        return None, None
    if len(value) > MAX_NAME:
        return None, _l("%(field)s: at most %(max)s characters.", field=label, max=MAX_NAME)
    if field == "name_kana":
        if not _KANA.fullmatch(value):
            return None, _l("%(field)s: write the reading in hiragana or katakana only "
                            "(no kanji, Latin letters or digits).", field=label)
        return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value), None
    if field == "name_romaji":
        if not _ROMAJI.fullmatch(value):
            return None, _l("%(field)s: Latin letters A to Z, spaces and hyphens only, "
                            "without long-vowel marks (Kamimizo Chugakko).", field=label)
        return value, None
    return value, None


# --- Names as people read them -----------------------------------------------

EASY = "ja-x-easy"
_KANJI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3005\u30f5\u30f6]+")


def _hiragana(text):
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def ruby_html(name, reading):
    """The name with furigana over its kanji, from a reading of the whole name:
    kana in the name stay outside the ruby where the reading lines up with them
    (星<rt>ほし</rt>が丘<rt>おか</rt>); else one ruby over the whole name."""
    if not name:
        return Markup("")
    if not reading or not _KANJI_RUN.search(name):
        return escape(name)
    reading = _hiragana(re.sub(r"\s+", "", reading))
    parts = [p for p in re.split(f"({_KANJI_RUN.pattern})", name) if p]
    # a kanji is read with one kana at least (篠原の里: しのはら, not し)
    pattern = "".join(f"(.{{{len(p)},}}?)" if _KANJI_RUN.fullmatch(p)
                      else re.escape(_hiragana(p)) for p in parts)
    match = re.fullmatch(pattern, reading)
    if not match:
        return Markup(f"<ruby>{escape(name)}<rt>{escape(reading)}</rt></ruby>")
    out, group = [], 1
    for p in parts:
        if _KANJI_RUN.fullmatch(p):
            out.append(f"<ruby>{escape(p)}<rt>{escape(match.group(group))}</rt></ruby>")
            group += 1
        else:
            out.append(str(escape(p)))
    return Markup("".join(out))


def japanese_name_html(name, reading, tag):
    """The Japanese name: with furigana for Easy Japanese, plain for everyone else."""
    return ruby_html(name, reading) if tag == EASY else escape(name or "")


def latin_names(shelter, tag):
    """What a reader of ``tag`` gets next to the Japanese name: (English, romaji),
    each None when unknown or not for this reader (Japanese and Easy Japanese
    readers read the Japanese name); the romaji is left out when it says what the
    English name says."""
    if tag in ("ja", EASY):
        return None, None
    english, romaji = shelter.get("name_en"), shelter.get("name_romaji")
    if romaji and english and romaji.casefold() == english.casefold():
        romaji = None
    return english, romaji


def reader_name(shelter, tag):
    """The name as plain text for a reader of ``tag`` (maps, lists):
    上溝中学校 for Japanese, 上溝中学校 Kamimizo Junior High School (Kamimizo
    Chugakko) for the others."""
    english, romaji = latin_names(shelter, tag)
    text = shelter.get("name") or ""
    if english:
        text += f" {english}"
    if romaji:
        text += f" ({romaji})" if english else f" {romaji}"
    return text


def _people_message(field, blank_allowed=False):
    if blank_allowed:
        return _l("%(field)s: give a whole number of people from 0 to %(max)s, "
                  "or leave it empty.", field=FIELD_LABELS[field], max=f"{MAX_PEOPLE:,}")
    return _l("%(field)s: give a whole number of people from 0 to %(max)s.",
              field=FIELD_LABELS[field], max=f"{MAX_PEOPLE:,}")


def update_shelter(db, shelter_id, values, *, actor, expected=None, names=False):
    """Apply an update in one transaction and keep every change as history.

    ``values`` are raw (see ``parse_update``); ``actor`` is an audit Actor.
    Returns the list of changes (field, old, new); an update that changes
    nothing records nothing. ``expected`` (raw, like ``values``) holds what the
    writer saw, e.g. a tablet that was offline: if one of those fields has been
    changed since to something else, Conflict is raised and nothing is written.
    ``names``: the name fields may be changed too (a coordinator's form).
    """
    clean = parse_update(values, names=names)
    with write_transaction(db):
        current = get_shelter(db, shelter_id)
        if expected:
            _check_expected(current, parse_update(expected, names=names), clean)
        evacuees = clean.get("evacuees", current["evacuees"])
        counts = clean.get("languages", current["languages"])
        if sum(counts.values()) > evacuees:
            raise ValidationError({"languages": _l(
                "%(field)s: the counts add up to %(sum)s, more than the %(total)s "
                "evacuees in total. Raise the total first.",
                field=FIELD_LABELS["languages"], sum=sum(counts.values()), total=evacuees,
            )})
        changes = []
        columns = {}
        for field, new in clean.items():
            if field == "languages":
                continue
            old = current[field]
            if old != new:
                columns[field] = json.dumps(new) if field == "staff_languages" else new
                changes.append((field, _text(old), _text(new)))
        if "languages" in clean:
            old_counts = current["languages"]
            for tag in sorted(set(old_counts) | set(counts), key=list(languages()).index):
                if old_counts.get(tag, 0) != counts.get(tag, 0):
                    changes.append((f"languages.{tag}", str(old_counts.get(tag, 0)),
                                    str(counts.get(tag, 0))))
            db.execute("DELETE FROM shelter_language WHERE shelter_id = ?", [shelter_id])
            for tag, people in counts.items():
                db.execute(
                    "INSERT INTO shelter_language (shelter_id, language, people) "
                    "VALUES (?, ?, ?)", [shelter_id, tag, people])
        if not changes:
            return []
        now = utcnow()
        columns.update(updated_at=now, updated_by=actor.name)
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        db.execute(f"UPDATE shelter SET {assignments} WHERE id = :id",
                   {**columns, "id": shelter_id})
        record_changes(db, shelter_id, changes, actor=actor, at=now)
        record(db, actor, "update", "shelter", shelter_id, at=now,
               before={f: o for f, o, _ in changes}, after={f: n for f, _, n in changes})
        return changes


def record_changes(db, shelter_id, changes, *, actor, at):
    db.conn.executemany(
        "INSERT INTO shelter_change (shelter_id, at, actor, via, field, old, new) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(shelter_id, at, actor.name, actor.via, field, old, new)
         for field, old, new in changes],
    )


def _text(value):
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
