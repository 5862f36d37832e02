"""Writing and reading the audit log.

Every write function records its entry inside its own transaction, so a write
and its audit entry exist together or not at all.
"""

import json
from dataclasses import dataclass

from ..db import to_tokyo, utcnow
from ..spreadsheet import csv_text


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, a shelter device, the CLI or the importer."""

    name: str
    role: str | None = None
    via: str = "cli"
    address: str | None = None


def record(db, actor, action, entity, entity_id=None, before=None, after=None, at=None):
    db.execute(
        "INSERT INTO audit (at, actor, role, via, address, action, entity, entity_id, "
        "before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at or utcnow(), actor.name, actor.role, actor.via, actor.address, action, entity,
         None if entity_id is None else str(entity_id), _json(before), _json(after)])


def _json(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


FILTERS = ("actor", "action", "entity", "entity_id", "since", "until")


def entries(db, *, actor=None, action=None, entity=None, entity_id=None, since=None,
            until=None, limit=200, offset=0):
    """Newest first; ``since`` / ``until`` are ISO dates or times (UTC)."""
    where, params = [], []
    for column, value in (("actor", actor), ("action", action), ("entity", entity),
                          ("entity_id", entity_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = "SELECT * FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return list(db.query(sql, params))


def distinct(db, column):
    assert column in ("actor", "action", "entity")
    return [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM audit ORDER BY 1")]


CSV_COLUMNS = ("id", "at", "actor", "role", "via", "action", "entity", "entity_id",
               "before", "after")


def to_csv(rows, *, with_addresses=False):
    """CSV text; network addresses are personal data and left out by default."""
    columns = CSV_COLUMNS + (("address",) if with_addresses else ())
    values = ([to_tokyo(row[c]) if c == "at" else row[c] for c in columns] for row in rows)
    return csv_text([columns, *values])
