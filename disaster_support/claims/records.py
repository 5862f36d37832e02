"""Claims: "being handled by sato since 10:42" on a need or a notice draft.

A coordinator takes one with a click; it is released when they let go, when the need is
resolved or cancelled or the notice published or withdrawn (database triggers), when
they sign out, or when none of their pages has been open for ``TIMEOUT`` (every open
page renews its account's claims as it follows the change feed).
"""

import datetime

from .. import db as database
from ..db import write_transaction

SUBJECTS = ("need", "notice")
TIMEOUT = datetime.timedelta(minutes=15)
RENEW_EVERY = datetime.timedelta(minutes=1)


class ClaimHeld(Exception):
    """Somebody else is handling it."""

    def __init__(self, claim):
        super().__init__(f"{claim['subject']} {claim['subject_id']} is handled by "
                         f"{claim['username']}")
        self.claim = claim


def _now(at=None):
    return at or database.NOW().replace(microsecond=0)


def _iso(moment):
    return moment.isoformat()


def _row(cursor_row):
    keys = ("subject", "subject_id", "account_id", "username", "claimed_at", "renewed_at")
    return dict(zip(keys, cursor_row)) if cursor_row else None


def expire(db, at=None):
    """Let go of claims nobody has renewed for ``TIMEOUT``; returns how many."""
    cutoff = _iso(_now(at) - TIMEOUT)
    if not db.execute("SELECT 1 FROM claim WHERE renewed_at < ? LIMIT 1", [cutoff]).fetchone():
        return 0  # the common case writes nothing
    with write_transaction(db):
        return db.execute("DELETE FROM claim WHERE renewed_at < ?", [cutoff]).rowcount


def claim_of(db, subject, subject_id, at=None):
    """The live claim on one thing, or None."""
    cutoff = _iso(_now(at) - TIMEOUT)
    return _row(db.execute(
        "SELECT subject, subject_id, account_id, username, claimed_at, renewed_at FROM claim "
        "WHERE subject = ? AND subject_id = ? AND renewed_at >= ?",
        [subject, int(subject_id), cutoff]).fetchone())


def claims_of(db, subject, ids, at=None):
    """Live claims on many things: {id: claim}."""
    ids = [int(i) for i in ids]
    if not ids:
        return {}
    cutoff = _iso(_now(at) - TIMEOUT)
    rows = db.execute(
        "SELECT subject, subject_id, account_id, username, claimed_at, renewed_at FROM claim "
        f"WHERE subject = ? AND renewed_at >= ? AND subject_id IN ({', '.join('?' * len(ids))})",
        [subject, cutoff, *ids]).fetchall()
    return {r[1]: _row(r) for r in rows}


def take(db, subject, subject_id, *, account_id, username, take_over=False, at=None):
    """Take one thing. Held by somebody else: ClaimHeld, unless ``take_over``."""
    if subject not in SUBJECTS:
        raise ValueError(subject)
    now = _now(at)
    with write_transaction(db):
        held = claim_of(db, subject, subject_id, at=now)
        if held and held["account_id"] == account_id:
            return held
        if held and not take_over:
            raise ClaimHeld(held)
        # a DELETE then an INSERT, not an upsert: the feed then says who let go
        db.execute("DELETE FROM claim WHERE subject = ? AND subject_id = ?",
                   [subject, int(subject_id)])
        db.execute("INSERT INTO claim (subject, subject_id, account_id, username, claimed_at, "
                   "renewed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [subject, int(subject_id), account_id, username, _iso(now), _iso(now)])
    return claim_of(db, subject, subject_id, at=now)


def release(db, subject, subject_id, *, account_id):
    """Let go of one's own claim; returns whether there was one."""
    with write_transaction(db):
        return db.execute("DELETE FROM claim WHERE subject = ? AND subject_id = ? "
                          "AND account_id = ?", [subject, int(subject_id), account_id]
                          ).rowcount > 0


def release_all(db, account_id):
    """Signing out lets go of everything the account held."""
    with write_transaction(db):
        return db.execute("DELETE FROM claim WHERE account_id = ?", [account_id]).rowcount


def renew(db, account_id, at=None):
    """The account still has a page open: its claims stay (written once a minute)."""
    now = _now(at)
    stale = _iso(now - RENEW_EVERY)
    if not db.execute("SELECT 1 FROM claim WHERE account_id = ? AND renewed_at < ? LIMIT 1",
                      [account_id, stale]).fetchone():
        return 0
    with write_transaction(db):
        return db.execute("UPDATE claim SET renewed_at = ? WHERE account_id = ? "
                          "AND renewed_at < ? AND renewed_at >= ?",
                          [_iso(now), account_id, stale, _iso(now - TIMEOUT)]).rowcount
