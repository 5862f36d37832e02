"""The coordinators' lane of evacuees' reports: confirm, merge or dismiss each.

A report counts once: confirmed, it is one open need like any other (the situation,
the queue, maps and matching see it from then on); merged into an existing need or
dismissed, it is cancelled and counts nowhere. Each step is an event in the need's
history and an audit entry, in one transaction.
"""

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..needs import records as needs
from ..parameters import whole_number
from ..shelters.registry import ValidationError
from ..text import _l

LANE_SIZE = 50
SIMILAR = 5  # needs offered to merge into, per report
MAX_REASON = needs.MAX_REASON
DISMISSED = "dismissed"  # the history's reason when the coordinator gives none

_LANE = """
SELECT n.id, n.shelter_id, n.category, n.language, n.people, n.note, n.created_at,
       s.name AS shelter_name, s.ward AS ward, s.kind AS shelter_kind,
       c.phone AS phone, c.consent_at AS consent_at
FROM need n JOIN shelter s ON s.id = n.shelter_id
LEFT JOIN need_callback c ON c.need_id = n.id
WHERE n.status = 'reported' {only}
ORDER BY n.created_at, n.id
LIMIT ?
"""


def _only(only):
    if only is None:
        return "", []
    ids = sorted(only)
    return (f"AND n.shelter_id IN ({', '.join('?' * len(ids))})" if ids else "AND 0"), ids


def reported_needs(db, only=None, limit=LANE_SIZE):
    """The reports waiting to be verified, oldest first, each with its call-back number
    (coordinators only) and ``similar``: active needs of the same place and category,
    those in the report's language first, to merge into."""
    clause, params = _only(only)
    rows = list(db.query(_LANE.format(only=clause), [*params, limit]))
    for row in rows:
        row["similar"] = list(db.query(
            "SELECT id, language, people, status FROM need WHERE shelter_id = ? AND "
            "category = ? AND status IN ('open', 'matched', 'in_progress') "
            "ORDER BY language = ? DESC, created_at DESC LIMIT ?",
            [row["shelter_id"], row["category"], row["language"], SIMILAR]))
    return rows


def count_reported(db, only=None):
    # the queue's count, kept per version of the data (no index reads this status)
    return needs.count_needs(db, only=only, status="reported")[0]


def _report(db, need_id):
    need = needs.get_need(db, need_id)  # NeedNotFound
    if need["status"] != "reported":
        raise ValidationError({"status": _l(
            "Need %(id)s is not a report waiting to be verified (it is “%(status)s”).",
            id=need_id, status=needs.STATUSES[need["status"]])})
    return need


def confirm(db, need_id, *, actor):
    """The report is right: it becomes an open need."""
    with write_transaction(db):
        _report(db, need_id)
        return needs.apply_transition(db, need_id, "open", actor=actor)


def dismiss(db, need_id, *, actor, reason=None):
    """Not a need (a joke, a flood, a duplicate of nothing): cancelled. Its call-back
    number goes with it: nobody will call."""
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"reason": _l("%(field)s: text only.",
                                            field=needs.FIELD_LABELS["reason"])})
    with write_transaction(db):
        _report(db, need_id)
        need = needs.apply_transition(db, need_id, "cancelled", actor=actor,
                                      reason=(reason or "").strip() or DISMISSED)
        db.execute("DELETE FROM need_callback WHERE need_id = ?", [need_id])
        return need


def merge(db, need_id, into_need_id, *, actor):
    """The report is a need already known: it is cancelled ("merged into #N"), #N's
    history says so, and #N takes the report's call-back number if it has none."""
    label = _l("Merge into")
    into = whole_number(into_need_id)
    with write_transaction(db):
        _report(db, need_id)
        if into is None:
            raise ValidationError({"into": _l("%(field)s: give the number of a need.",
                                              field=label)})
        if into == need_id:
            raise ValidationError({"into": _l("%(field)s: choose another need than this "
                                              "report.", field=label)})
        try:
            target = needs.get_need(db, into)
        except needs.NeedNotFound:
            raise ValidationError({"into": _l("%(field)s: need %(id)s does not exist.",
                                              field=label, id=into)}) from None
        if target["status"] not in needs.ACTIVE:
            raise ValidationError({"into": _l(
                "%(field)s: need %(id)s is “%(status)s”; merge only into a need not yet "
                "resolved (or confirm this report).", field=label, id=into,
                status=needs.STATUSES[target["status"]])})
        now = utcnow()
        need = needs.apply_transition(db, need_id, "cancelled", actor=actor, at=now,
                                      reason=f"merged into #{into}")
        needs.record_event(db, into, target["status"], target["status"], actor, now,
                           f"report #{need_id} merged into this need")
        moved = db.execute(
            "UPDATE need_callback SET need_id = ? WHERE need_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM need_callback WHERE need_id = ?)", [into, need_id, into]).rowcount
        record(db, actor, "merge", "need", need_id, at=now,
               after={"into": into, "callback_moved": bool(moved)})
        return need
