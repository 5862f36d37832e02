"""The audit log pages: filterable, exportable as CSV."""

import datetime

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..accounts.access import access, current
from ..db import get_db, to_utc
from ..i18n import chosen_language
from ..parameters import InputError
from ..text import _l
from . import describe, log

bp = Blueprint("audit", __name__)

PAGE_SIZE = 200


# The day filters are days in Japan, as the coordinator lives them; the log keeps UTC.
DAY_LABELS = {"since": _l("From (date, Japan time)"), "until": _l("Until (date, Japan time)")}


def _filters():
    """The filters as typed (to show them again) and as the log is queried."""
    typed = {k: request.args.get(k, "").strip()[:100] for k in log.FILTERS}
    typed = {k: v for k, v in typed.items() if v}
    query = dict(typed)
    for key, days in (("since", 0), ("until", 1)):  # "until" includes its whole day
        if key in typed:
            try:
                day = datetime.date.fromisoformat(typed[key]) + datetime.timedelta(days=days)
                query[key] = to_utc(f"{day.isoformat()}T00:00")
            except ValueError:
                message = _l("%(field)s: a date such as 2026-11-26.", field=DAY_LABELS[key])
                raise InputError(400, message, {key: message})
    return typed, query


@bp.get("/audit")
@access("coordinator")
def index():
    db = get_db()
    typed, query = _filters()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    rows = log.entries(db, **query, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    tag = chosen_language()
    wards = {w.id: w.name(tag) for w in current_app.extensions["city"].wards}
    entries = [(row, describe.describe_row(row, wards=wards)) for row in rows[:PAGE_SIZE]]
    return render_template(
        "audit/index.html", entries=entries, has_more=len(rows) > PAGE_SIZE, page=page,
        filters=typed, actors=log.distinct(db, "actor"), actions=log.distinct(db, "action"),
        entities=log.distinct(db, "entity"), day_labels=DAY_LABELS)


@bp.get("/audit.csv")
@access("coordinator")
def export():
    """CSV of the filtered log; network addresses only when an admin asks for them."""
    with_addresses = request.args.get("addresses") == "1"
    if with_addresses and not current().is_admin:
        abort(403)
    rows = log.entries(get_db(), **_filters()[1], limit=None)
    body = "\ufeff" + log.to_csv(rows, with_addresses=with_addresses)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit.csv"})
