"""Needs a coordinator has not seen yet: marked "new" on the queue, counted in the header.

A need is new to an account when it was recorded after the account's floor (the newest
need when it first looked) and the account's page has not shown it on screen since.
Only unresolved needs count: one closed by a colleague needs nobody's attention.
"""

from ..db import utcnow, write_transaction


def new_for_clause(account_id):
    """The SQL condition (on ``need n``) and its parameters: new to the account."""
    return ("n.id > (SELECT need_id FROM need_seen_floor WHERE account_id = ?) AND NOT EXISTS "
            "(SELECT 1 FROM need_seen s WHERE s.account_id = ? AND s.need_id = n.id)",
            [account_id, account_id])


def ensure_floor(db, account_id):
    """The account's floor, set to the newest need the first time it is asked for."""
    row = db.execute("SELECT need_id FROM need_seen_floor WHERE account_id = ?",
                     [account_id]).fetchone()
    if row:
        return row[0]
    with write_transaction(db):
        db.execute("INSERT OR IGNORE INTO need_seen_floor (account_id, need_id) "
                   "SELECT ?, coalesce(max(id), 0) FROM need", [account_id])
    return db.execute("SELECT need_id FROM need_seen_floor WHERE account_id = ?",
                      [account_id]).fetchone()[0]


def set_floor(db, account_id, need_id):
    """Count needs after ``need_id`` as new (the demo, a coordinator starting a shift)."""
    with write_transaction(db):
        db.execute("INSERT INTO need_seen_floor (account_id, need_id) VALUES (?, ?) "
                   "ON CONFLICT (account_id) DO UPDATE SET need_id = excluded.need_id",
                   [account_id, need_id])


def new_needs(db, account_id):
    """How many unresolved needs are new to the account, and how many are critical."""
    ensure_floor(db, account_id)
    new, params = new_for_clause(account_id)
    row = db.execute(
        "SELECT count(*), coalesce(sum(n.urgency = 'critical'), 0) FROM need n "
        "WHERE n.status IN ('open', 'matched', 'in_progress') AND " + new, params).fetchone()
    return {"count": row[0], "critical": row[1]}


def new_among(db, account_id, need_ids):
    """Which of ``need_ids`` are new to the account."""
    ids = [int(i) for i in need_ids]
    if not ids:
        return set()
    ensure_floor(db, account_id)
    new, params = new_for_clause(account_id)
    return {r[0] for r in db.execute(
        f"SELECT n.id FROM need n WHERE n.id IN ({', '.join('?' * len(ids))}) AND " + new,
        [*ids, *params])}


def mark_seen(db, account_id, need_ids, at=None):
    """The account's screen showed these needs; returns how many were new."""
    ids = sorted({int(i) for i in need_ids})
    if not ids:
        return 0
    at = at or utcnow()
    with write_transaction(db):
        before = db.conn.total_changes
        db.conn.executemany(
            "INSERT OR IGNORE INTO need_seen (account_id, need_id, at) "
            "SELECT ?, id, ? FROM need WHERE id = ?", [(account_id, at, i) for i in ids])
        return db.conn.total_changes - before


def mark_all_seen(db, account_id, at=None):
    """Nothing is new any more for this account (its "mark all as seen")."""
    ensure_floor(db, account_id)
    with write_transaction(db):
        new, params = new_for_clause(account_id)
        db.execute("INSERT OR IGNORE INTO need_seen (account_id, need_id, at) "
                   "SELECT ?, n.id, ? FROM need n "
                   "WHERE n.status IN ('open', 'matched', 'in_progress') AND " + new,
                   [account_id, at or utcnow(), *params])
