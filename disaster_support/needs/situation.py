"""The situation picture read at the morning meeting.

Unresolved needs (open, matched, in progress) by language × category, for the
city or one ward, with the people affected and how many are older than the
threshold; and the foreign evacuees per language per ward.
"""

from ..live import feed
from ..shelters.registry import KIND_GROUPS
from ..vocabulary import languages, need_categories
from .records import waiting_since

STALE_MINUTES = 120
NO_WARD = "none"


def _places(ward, group):
    """The condition on the places (ward, group of kinds: shelters / other places /
    at home) as a subquery of shelter IDs, and its parameters; ("", []) for all."""
    where, params = [], []
    if ward:
        where.append("ward = ?")
        params.append(ward)
    if group in KIND_GROUPS:
        where.append(f"kind IN ({', '.join('?' * len(KIND_GROUPS[group]))})")
        params += KIND_GROUPS[group]
    if not where:
        return "", []
    return f"SELECT id FROM shelter WHERE {' AND '.join(where)}", params


TABLES_KEPT = 64
_tables = {}


def need_table(db, *, ward=None, group=None, stale_minutes=STALE_MINUTES, now=None):
    """The matrix of unresolved needs (read only: it is kept and shared).

    Kept per version of the data (``live.feed``) and minute of the clock ("waiting
    longer than" counts to the minute: ``records.waiting_since``); grouping 40,000
    needs was most of the page's SQL."""
    cutoff = waiting_since(stale_minutes, now)
    return feed.kept(_tables, db, (ward, group, cutoff, stale_minutes),
                     lambda: _need_table(db, ward, group, cutoff, stale_minutes), TABLES_KEPT)


def _need_table(db, ward, group, cutoff, stale_minutes):
    places, place_params = _places(ward, group)
    sql = """
        SELECT n.language, n.category, count(*), sum(n.people), sum(n.created_at <= ?),
               sum(n.urgency = 'critical')
        FROM need n
        WHERE n.status IN ('open', 'matched', 'in_progress') {places}
        GROUP BY n.language, n.category
    """.format(places=f"AND n.shelter_id IN ({places})" if places else "")
    params = [cutoff] + place_params
    cells = {}
    for language, category, needs, people, stale, critical in db.execute(sql, params):
        cells[(language, category)] = {"needs": needs, "people": people, "stale": stale,
                                       "critical": critical}
    order_l = list(languages())
    order_c = list(need_categories())
    used_languages = sorted({l for l, _ in cells}, key=lambda t: _index(order_l, t))
    used_categories = sorted({c for _, c in cells}, key=lambda t: _index(order_c, t))

    def total(pairs):
        cells_ = [cells[p] for p in pairs if p in cells]
        return {k: sum(c[k] for c in cells_) for k in ("needs", "people", "stale", "critical")}

    rows = {l: total([(l, c) for c in used_categories]) for l in used_languages}
    columns = {c: total([(l, c) for l in used_languages]) for c in used_categories}
    grand = total(list(cells))
    peak = max((c["people"] for c in cells.values()), default=0)
    for cell in cells.values():
        # 1 to 4: how dark the cell is, relative to the largest cell
        cell["shade"] = max(1, -(-4 * cell["people"] // peak)) if peak else 0
    return {"languages": used_languages, "categories": used_categories, "cells": cells,
            "rows": rows, "columns": columns, "total": grand, "stale_minutes": stale_minutes}


def _index(order, key):
    return order.index(key) if key in order else len(order)


def foreign_by_ward(db, group=None):
    """Foreign evacuees per language per ward: {language: {ward: people}}; places
    in no ward (outside the city, or a city without wards) count under "none".
    Kept per version of the data, like the need table (read only)."""
    return feed.kept(_tables, db, ("foreign", group), lambda: _foreign_by_ward(db, group),
                     TABLES_KEPT)


def _foreign_by_ward(db, group):
    table = {}
    kinds = KIND_GROUPS.get(group)
    in_group = f"AND s.kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
    for language, ward, people in db.execute(
            "SELECT l.language, s.ward, sum(l.people) FROM shelter_language l "
            f"JOIN shelter s ON s.id = l.shelter_id WHERE s.status != 'closed' {in_group} "
            "GROUP BY l.language, s.ward", list(kinds or ())):
        table.setdefault(language, {})[ward or NO_WARD] = people
    order = list(languages())
    return dict(sorted(table.items(), key=lambda kv: _index(order, kv[0])))


def summary(db, *, ward=None, group=None):
    """The situation as plain data, for the API."""
    table = need_table(db, ward=ward, group=group)
    return {
        "ward": ward,
        "stale_minutes": table["stale_minutes"],
        "total": table["total"],
        "cells": [{"language": l, "category": c, **{k: v for k, v in cell.items()
                                                    if k != "shade"}}
                  for (l, c), cell in sorted(table["cells"].items())],
        "group": group,
        "foreign_evacuees": foreign_by_ward(db, group),
    }
