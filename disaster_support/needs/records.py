"""Needs: recording them exactly once, their lifecycle, and the queue.

A need holds counts, a language and a category, never names. Every submission
carries a client-generated id: repeating it (a double tap, a retry after a
timeout, a tablet's offline queue) returns the first need and creates nothing.
Every status change is an event with its actor and time.
"""

import datetime
import re

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..live import feed
from ..live.seen import new_for_clause
from ..parameters import choice, fits_sqlite, whole_number
from ..personal_data import looks_personal
from ..shelters.places import current_id
from ..shelters.registry import (KIND_GROUPS, Conflict, ShelterNotFound, ValidationError,
                                 get_shelter)
from ..text import _l, lazy_pgettext
from ..vocabulary import languages, need_categories

URGENCIES = {
    "critical": _l("Critical"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}
# "need status" context: a shelter is "open" in another sense (開設中 / 未対応).
STATUSES = {
    # an evacuee's own report from a phone, until a coordinator confirms it
    "reported": lazy_pgettext("need status", "Reported, not verified"),
    "open": lazy_pgettext("need status", "Open"),
    "matched": lazy_pgettext("need status", "Matched"),
    "in_progress": lazy_pgettext("need status", "In progress"),
    "resolved": lazy_pgettext("need status", "Resolved"),
    "cancelled": lazy_pgettext("need status", "Cancelled"),
}
ACTIVE = ("open", "matched", "in_progress")
FINAL = ("resolved", "cancelled")
# Which status may follow which; going back to "open" from a final status is a
# reopening and needs a reason.
TRANSITIONS = {
    "reported": ("open", "cancelled"),  # confirmed, or dismissed (or merged: cancelled)
    "open": ("matched", "in_progress", "resolved", "cancelled"),
    "matched": ("open", "in_progress", "resolved", "cancelled"),
    "in_progress": ("open", "resolved", "cancelled"),  # open: the volunteer could not
    "resolved": ("open",),
    "cancelled": ("open",),
}
FIELD_LABELS = {
    "category": _l("What is needed"),
    "language": _l("Language"),
    "people": _l("Number of people"),
    "urgency": _l("Urgency"),
    "note": _l("Note"),
    "client_id": _l("Submission ID"),
    "shelter_id": _l("Shelter"),
    "status": _l("Status"),
    "reason": _l("Reason"),
}
MAX_PEOPLE = 1000
MAX_NOTE = 280
MAX_REASON = 280
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class NeedNotFound(LookupError):
    pass


def parse_need(values, *, partial=False):
    """Check a need's fields (form strings or JSON); raise ValidationError."""
    clean, errors = {}, {}
    for field in sorted(set(values) - set(FIELD_LABELS) - {"confirm_personal"}):
        errors[field] = _l("Unknown field “%(field)s”.", field=field)

    def present(field):
        return field in values or not partial

    if present("client_id"):
        client_id = values.get("client_id")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            errors["client_id"] = _l(
                "%(field)s: 8 to 64 letters, digits, '-' or '_' (made by the tablet).",
                field=FIELD_LABELS["client_id"])
        else:
            clean["client_id"] = client_id
    if present("category"):
        if choice(values.get("category"), need_categories()):
            clean["category"] = values["category"]
        else:
            errors["category"] = _l("%(field)s: choose one of the pictograms.",
                                    field=FIELD_LABELS["category"])
    if present("language"):
        if choice(values.get("language"), languages()):
            clean["language"] = values["language"]
        else:
            errors["language"] = _l("%(field)s: choose one of the listed languages.",
                                    field=FIELD_LABELS["language"])
    if present("people"):
        people = whole_number(values.get("people"))
        if people is None or not 1 <= people <= MAX_PEOPLE:
            errors["people"] = _l("%(field)s: a whole number from 1 to %(max)s.",
                                  field=FIELD_LABELS["people"], max=f"{MAX_PEOPLE:,}")
        else:
            clean["people"] = people
    if "urgency" in values or not partial:
        urgency = values.get("urgency")
        urgency = "normal" if urgency in (None, "") else choice(urgency, URGENCIES)
        if urgency:
            clean["urgency"] = urgency
        else:
            errors["urgency"] = _l("%(field)s: choose critical, high, normal or low.",
                                   field=FIELD_LABELS["urgency"])
    if "note" in values:
        note = values.get("note")
        if note is not None and not isinstance(note, str):
            errors["note"] = _l("%(field)s: text only.", field=FIELD_LABELS["note"])
        else:
            note = (note or "").strip()
            if len(note) > MAX_NOTE:
                errors["note"] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                                    field=FIELD_LABELS["note"], max=MAX_NOTE, count=len(note))
            elif note and looks_personal(note) and values.get("confirm_personal") not in (
                    True, "1", "yes"):
                errors["note"] = _l(
                    "%(field)s: this looks like %(what)s. Needs never hold names or contact "
                    "details of evacuees: remove it, or confirm that it is not personal.",
                    field=FIELD_LABELS["note"],
                    what=", ".join(str(label) for _, label in looks_personal(note)))
            else:
                clean["note"] = note or None
    if errors:
        raise ValidationError(errors)
    return clean


ORIGINS = ("staff", "patrol", "self_report")


def record_need(db, shelter_id, values, *, actor, at=None, origin="staff", visit_id=None):
    """Record a need at a shelter: (need, created). A repeated client id
    returns the first need and changes nothing. ``at``: when (default now),
    for drills and demo data. ``origin``: who saw it (shelter staff, a patrol team on
    a visit, the evacuee's own report, which waits as 'reported' to be verified)."""
    if origin not in ORIGINS:
        raise ValueError(origin)
    clean = parse_need(values)
    status = "reported" if origin == "self_report" else "open"
    with write_transaction(db):
        shelter_id = current_id(db, shelter_id)  # a place merged meanwhile: its successor
        existing = _by_client_id(db, clean["client_id"])
        if existing is not None:
            if existing["shelter_id"] != shelter_id:
                raise ValidationError({"client_id": _l(
                    "%(field)s: already used for another shelter.",
                    field=FIELD_LABELS["client_id"])})
            return existing, False
        try:
            shelter = get_shelter(db, shelter_id)
        except ShelterNotFound:
            raise ValidationError({"shelter_id": _l("%(field)s: no shelter with this ID.",
                                                    field=FIELD_LABELS["shelter_id"])})
        if shelter["status"] == "closed" and origin != "patrol":  # a patrol finds people
            raise ValidationError({"shelter_id": _l(
                "%(field)s: %(name)s is closed. Open the shelter before recording needs.",
                field=FIELD_LABELS["shelter_id"], name=shelter["name"])})
        now = at or utcnow()
        cursor = db.execute(
            "INSERT INTO need (client_id, shelter_id, category, language, people, urgency, "
            "note, status, created_at, created_by, updated_at, origin, visit_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [clean["client_id"], shelter_id, clean["category"], clean["language"],
             clean["people"], clean["urgency"], clean.get("note"), status, now, actor.name,
             now, origin, visit_id])
        need_id = cursor.lastrowid
        record_event(db, need_id, None, status, actor, now)
        record(db, actor, "create", "need", need_id, at=now, after={
            k: clean.get(k) for k in ("shelter_id", "category", "language", "people",
                                      "urgency", "note")} | {"shelter_id": shelter_id,
                                                             "origin": origin})
        return get_need(db, need_id), True


def _by_client_id(db, client_id):
    row = db.execute("SELECT id FROM need WHERE client_id = ?", [client_id]).fetchone()
    return get_need(db, row[0]) if row else None


def record_event(db, need_id, from_status, to_status, actor, at, reason=None):
    """One line of a need's history (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO need_event (need_id, at, actor, role, via, from_status, to_status, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [need_id, at, actor.name, actor.role, actor.via, from_status, to_status, reason])


_SELECT = """
SELECT n.*, s.name AS shelter_name, s.ward AS ward
FROM need n JOIN shelter s ON s.id = n.shelter_id
"""


def _beyond_sqlite(need_id):
    """A URL may carry an id of any length: one SQLite cannot hold is no need at all."""
    return isinstance(need_id, int) and not fits_sqlite(need_id)


def get_need(db, need_id):
    if _beyond_sqlite(need_id):
        raise NeedNotFound(need_id)
    rows = list(db.query(_SELECT + " WHERE n.id = ?", [need_id]))
    if not rows:
        raise NeedNotFound(need_id)
    return rows[0]


def shelter_of(db, need_id):
    if _beyond_sqlite(need_id):
        return None
    row = db.execute("SELECT shelter_id FROM need WHERE id = ?", [need_id]).fetchone()
    return row[0] if row else None


def need_events(db, need_id):
    if _beyond_sqlite(need_id):
        return []
    return list(db.query("SELECT * FROM need_event WHERE need_id = ? ORDER BY id", [need_id]))


QUEUE_FILTERS = ("ward", "group", "shelter_id", "language", "category", "status", "urgency",
                 "older_than")


def waiting_since(minutes, now=None):
    """The creation time at or before which a need has waited ``minutes``, to the
    minute: a need counts as waiting that long up to a minute late, and so the counts
    of "older than" and of the situation's outlined cells can be kept for a minute."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (now - datetime.timedelta(minutes=minutes)).replace(second=0, microsecond=0) \
        .isoformat()


def _where(filters, only, in_queue_order=False):
    """The WHERE clause of the filters. ``in_queue_order``: for a page of the queue,
    an area (ward, group of places) does not pick the index, so SQLite walks the queue's
    own order and stops at the page's end instead of sorting every need of a ward
    (27 -> 2 ms for a third of the city at 50,000 needs, measured)."""
    area = "+n.shelter_id" if in_queue_order else "n.shelter_id"
    where, params = [], []
    status = filters.get("status") or "active"
    if status == "active":
        where.append("n.status IN ('open', 'matched', 'in_progress')")
    elif status != "all":
        where.append("n.status = ?")
        params.append(status)
    if filters.get("ward"):
        # a subquery, not a join: the count and the situation then read the
        # covering index of unresolved needs per shelter
        where.append(f"{area} IN (SELECT id FROM shelter WHERE ward = ?)")
        params.append(filters["ward"])
    if filters.get("group") in KIND_GROUPS:
        kinds = KIND_GROUPS[filters["group"]]
        where.append(f"{area} IN (SELECT id FROM shelter WHERE kind IN "
                     f"({', '.join('?' * len(kinds))}))")
        params += kinds
    for key in ("shelter_id", "language", "category", "urgency"):
        if filters.get(key):
            where.append(f"n.{key} = ?")
            params.append(filters[key])
    if filters.get("older_than"):
        where.append("n.created_at <= ?")
        params.append(waiting_since(int(filters["older_than"])))
    if filters.get("new_for"):
        clause, more = new_for_clause(filters["new_for"])
        where.append(clause)
        params += more
    if only is not None:
        ids = sorted(only)
        where.append(f"n.shelter_id IN ({', '.join('?' * len(ids))})" if ids else "0")
        params += ids
    return (" WHERE " + " AND ".join(where)) if where else "", params


def list_needs(db, *, only=None, limit=100, offset=0, **filters):
    """Needs in queue order: urgency first, then the oldest."""
    where, params = _where(filters, only, in_queue_order=True)
    sql = _SELECT + where + " ORDER BY n.priority, n.created_at, n.id"
    if limit:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return list(db.query(sql, params))


COUNTS_KEPT = 256
_counts = {}


def count_needs(db, *, only=None, **filters):
    """(needs, people) matching the filters. Kept per version of the data (a count
    of 40,000 needs is most of a queue page's SQL) and, for "older than", the minute
    it counts from; not for what a coordinator has seen, which the change feed misses."""
    where, params = _where(filters, only)
    source = "need n"
    by_place = only is not None or any(filters.get(k) for k in ("ward", "group", "shelter_id"))
    if by_place and (filters.get("status") or "active") == "active":
        # by place, SQLite picks the index of all needs per shelter and reads every row;
        # the index of unresolved needs per shelter holds all the count reads (20 -> 4 ms
        # for a ward at 50,000 needs, measured)
        source = "need n INDEXED BY need_active_by_shelter"

    def count():
        return tuple(db.execute(f"SELECT count(*), coalesce(sum(n.people), 0) FROM {source}"
                                + where, params).fetchone())

    if "new_for" in filters:
        return count()
    key = (repr(sorted(only)) if only is not None else None, repr(sorted(filters.items())),
           waiting_since(int(filters["older_than"])) if filters.get("older_than") else None)
    return feed.kept(_counts, db, key, count, COUNTS_KEPT)


def allowed_next(status):
    return TRANSITIONS[status]


def transition(db, need_id, to_status, *, actor, reason=None, only=None, at=None,
               expected=None):
    """Move one need on; refuse an invalid step with a message that says why.

    ``expected`` is the status the writer saw (a tablet that was offline): if the
    need has moved on since, to another status than ``to_status``, Conflict is
    raised and nothing changes; if it already is ``to_status`` (a retry), nothing
    changes and the need is returned.
    """
    if not choice(to_status, STATUSES):
        raise _status_error("status", FIELD_LABELS["status"])
    if expected is not None and not choice(expected, STATUSES):
        raise _status_error("expected_status", "expected_status")
    with write_transaction(db):
        if expected is not None:
            need = get_need(db, need_id)
            if only is not None and need["shelter_id"] not in only:
                raise NeedNotFound(need_id)
            if need["status"] == to_status:
                return need
            if need["status"] != expected:
                raise Conflict({"status": _l(
                    "Need %(id)s was changed meanwhile: it is “%(current)s” now, not "
                    "“%(seen)s”. Nothing was saved.", id=need_id,
                    current=STATUSES.get(need["status"], need["status"]),
                    seen=STATUSES.get(expected, expected))}, need)
        return apply_transition(db, need_id, to_status, actor=actor, reason=reason, only=only,
                                at=at)


def apply_transition(db, need_id, to_status, *, actor, reason=None, only=None, at=None):
    """``transition`` inside a transaction the caller holds (checks included)."""
    need = get_need(db, need_id)
    if only is not None and need["shelter_id"] not in only:
        raise NeedNotFound(need_id)
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"reason": _l("%(field)s: text only.",
                                            field=FIELD_LABELS["reason"])})
    reason = (reason or "").strip() or None
    if not choice(to_status, STATUSES):
        raise _status_error("status", FIELD_LABELS["status"])
    if to_status not in TRANSITIONS[need["status"]]:
        allowed = ", ".join(str(STATUSES[s]) for s in TRANSITIONS[need["status"]])
        raise ValidationError({"status": _l(
            "Need %(id)s is “%(current)s”: it cannot become “%(wanted)s”. Possible: "
            "%(allowed)s.", id=need_id, current=STATUSES[need["status"]],
            wanted=STATUSES[to_status], allowed=allowed)})
    if need["status"] in FINAL and not reason:
        raise ValidationError({"reason": _l(
            "%(field)s: say why need %(id)s is reopened.", field=FIELD_LABELS["reason"],
            id=need_id)})
    if reason and len(reason) > MAX_REASON:
        raise ValidationError({"reason": _l("%(field)s: at most %(max)s characters.",
                                            field=FIELD_LABELS["reason"], max=MAX_REASON)})
    now = at or utcnow()
    db.execute("UPDATE need SET status = ?, updated_at = ? WHERE id = ?",
               [to_status, now, need_id])
    record_event(db, need_id, need["status"], to_status, actor, now, reason)
    record(db, actor, "status", "need", need_id, at=now, before={"status": need["status"]},
           after={"status": to_status, **({"reason": reason} if reason else {})})
    return get_need(db, need_id)


def _status_error(field, label):
    return ValidationError({field: _l(
        "%(field)s: choose one of: open, matched, in_progress, resolved, cancelled.",
        field=label)})


def bulk_transition(db, need_ids, to_status, *, actor, reason=None, only=None):
    """All or nothing: every need moves on, or none does and every problem is told."""
    if not need_ids:
        raise ValidationError({"ids": _l("Select at least one need.")})
    problems = {}
    with write_transaction(db):
        for need_id in need_ids:
            try:
                with write_transaction(db):  # a savepoint per need
                    apply_transition(db, need_id, to_status, actor=actor, reason=reason,
                                     only=only)
            except ValidationError as exc:
                problems[str(need_id)] = next(iter(exc.errors.values()))
            except NeedNotFound:
                problems[str(need_id)] = _l("Need %(id)s does not exist.", id=need_id)
        if problems:
            raise ValidationError(problems)
    return len(need_ids)


def update_need(db, need_id, values, *, actor, only=None):
    """Correct people, urgency or note (a status change goes through ``transition``)."""
    clean = parse_need(values, partial=True)
    unknown = set(clean) - {"people", "urgency", "note"}
    if unknown:
        raise ValidationError({f: _l("%(field)s: cannot be changed here.",
                                     field=FIELD_LABELS[f]) for f in unknown})
    with write_transaction(db):
        need = get_need(db, need_id)
        if only is not None and need["shelter_id"] not in only:
            raise NeedNotFound(need_id)
        changed = {k: v for k, v in clean.items() if need[k] != v}
        if not changed:
            return need, {}
        now = utcnow()
        assignments = ", ".join(f"{k} = ?" for k in changed)
        db.execute(f"UPDATE need SET {assignments}, updated_at = ? WHERE id = ?",
                   [*changed.values(), now, need_id])
        record(db, actor, "update", "need", need_id, at=now,
               before={k: need[k] for k in changed}, after=changed)
        return get_need(db, need_id), changed


def age_minutes(created_at, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0, int((now - datetime.datetime.fromisoformat(created_at)).total_seconds() // 60))
