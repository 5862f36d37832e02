"""The change feed: every change to needs, shelters, assignments, notices and claims,
numbered in commit order by the database's own triggers (migration 9).

A page remembers the number it was drawn at (its cursor) and asks for what came after.
SQLite has one writer at a time, so the numbers are committed in order: a reader never
sees change 12 before change 11, and a cursor never skips one.
"""

MAX_CHANGES = 500


def latest(db):
    """The number of the newest change (0 before any)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'change_feed'").fetchone()
    return row[0] if row else 0


def changes_after(db, cursor, limit=MAX_CHANGES):
    """What changed after ``cursor``, oldest first, at most ``limit`` at a time.

    ``reset`` says the cursor is from another database (a restored backup, a drill
    that ended): the page must redraw everything and carry on from ``cursor``.
    """
    newest = latest(db)
    if cursor > newest:
        return {"cursor": newest, "reset": True, "more": False, "changes": []}
    rows = db.execute("SELECT id, kind, ref, action, detail FROM change_feed WHERE id > ? "
                      "ORDER BY id LIMIT ?", [cursor, limit + 1]).fetchall()
    more = len(rows) > limit
    changes = [{"id": r[0], "kind": r[1], "ref": r[2], "action": r[3], "detail": r[4]}
               for r in rows[:limit]]
    return {"cursor": changes[-1]["id"] if changes else cursor, "reset": False, "more": more,
            "changes": changes}


def version(db):
    """Where the data stands, as one value for caches and validators: the database
    (a drill has its own), the newest change's number and its time (a restored
    backup that has since reached the same number did so later). None inside an
    open transaction (what it has written may still be rolled back) and for a
    database in memory."""
    if db.conn.in_transaction:
        return None
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if not path:  # in memory: two such databases would look alike
        return None
    return (path, *db.execute(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'change_feed'), "
        "(SELECT at FROM change_feed ORDER BY id DESC LIMIT 1)").fetchone())


def kept(store, db, key, compute, limit):
    """``compute()``, remembered in ``store`` for this version of the data and ``key``
    (at most ``limit`` entries; all forgotten when full: old versions are never asked
    for again). Computed afresh when there is no version to trust."""
    stands = version(db)
    if stands is None:
        return compute()
    full_key = (stands, key)
    found = store.get(full_key)
    if found is None:
        found = compute()
        if len(store) >= limit:
            store.clear()
        store[full_key] = found
    return found
