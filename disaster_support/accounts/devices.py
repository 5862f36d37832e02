"""Shelter devices: a tablet joins one shelter through a link, without a password.

The link carries a random token (kept only as a hash) that is scoped to one
shelter, expires, and can be revoked at once when a tablet is lost.
"""

import datetime

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..shelters.registry import ValidationError, get_shelter
from ..text import _l
from .users import hash_token, new_token

LIFETIMES_DAYS = (1, 3, 7, 14, 30)
LAST_USE_PRECISION = datetime.timedelta(minutes=1)


def issue_device(db, shelter_id, label, *, actor, days=7, now=None):
    """A new device link: returns (device id, token). The token is shown once."""
    _check_link(label, days)
    get_shelter(db, shelter_id)
    return _issue(db, "shelter_id", shelter_id, label, actor, days, now)


def issue_patrol_device(db, team_id, label, *, actor, days=3, now=None):
    """A link for a patrol team's phone: (device id, token). ``team_id`` is checked by
    the caller against the operational database (the team may be a drill's)."""
    _check_link(label, days)
    return _issue(db, "patrol_team_id", team_id, label, actor, days, now)


def _check_link(label, days):
    errors = {}
    if not (label or "").strip() or len(label.strip()) > 60:
        errors["label"] = _l("Name of the tablet: 1 to 60 characters, e.g. “Gym tablet 1”.")
    if days not in LIFETIMES_DAYS:
        errors["days"] = _l("Valid for: choose %(choices)s days.",
                            choices=", ".join(map(str, LIFETIMES_DAYS)))
    if errors:
        raise ValidationError(errors)


def _issue(db, scope, scope_id, label, actor, days, now):
    label = label.strip()
    token = new_token()
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    expires = (now + datetime.timedelta(days=days)).isoformat()
    with write_transaction(db):
        cursor = db.execute(
            f"INSERT INTO device ({scope}, label, token_hash, created_at, created_by, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [scope_id, label, hash_token(token), now.isoformat(), actor.name, expires])
        record(db, actor, "create", "device", cursor.lastrowid,
               after={scope: scope_id, "label": label, "expires_at": expires})
    return cursor.lastrowid, token


def list_devices(db, shelter_id=None):
    sql = ("SELECT d.*, s.name AS shelter_name FROM device d LEFT JOIN shelter s ON s.id = "
           "d.shelter_id")
    params = []
    if shelter_id:
        sql += " WHERE d.shelter_id = ?"
        params.append(shelter_id)
    sql += " ORDER BY d.revoked_at IS NOT NULL, d.expires_at < ?, d.id DESC"
    params.append(utcnow())
    return list(db.query(sql, params))


def get_device(db, device_id):
    rows = list(db.query("SELECT * FROM device WHERE id = ?", [device_id]))
    return rows[0] if rows else None


def is_usable(device, now=None):
    now = now or utcnow()
    return device is not None and device["revoked_at"] is None and device["expires_at"] > now


def device_for_token(db, token):
    """The device whose link this is, if it is still usable."""
    rows = list(db.query("SELECT * FROM device WHERE token_hash = ?", [hash_token(token)]))
    device = rows[0] if rows else None
    return device if is_usable(device) else None


def touch(db, device):
    """Remember the last use, at most once a minute (a write per request is waste)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    last = device["last_used_at"]
    if last and now - datetime.datetime.fromisoformat(last) < LAST_USE_PRECISION:
        return
    with write_transaction(db):
        db.execute("UPDATE device SET last_used_at = ? WHERE id = ?",
                   [now.isoformat(), device["id"]])


def revoke_device(db, device_id, *, actor):
    with write_transaction(db):
        changed = db.execute(
            "UPDATE device SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
            [utcnow(), actor.name, device_id]).rowcount
        if changed:
            record(db, actor, "revoke", "device", device_id)
    return bool(changed)
