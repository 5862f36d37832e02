"""The audit log pages: filterable, exportable as CSV."""

from flask import Blueprint, Response, abort, render_template, request

from ..accounts.access import access, current
from ..db import get_db
from . import log

bp = Blueprint("audit", __name__)

PAGE_SIZE = 200


def _filters():
    filters = {k: request.args.get(k, "").strip() for k in log.FILTERS}
    return {k: v[:100] for k, v in filters.items() if v}


@bp.get("/audit")
@access("coordinator")
def index():
    db = get_db()
    filters = _filters()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    rows = log.entries(db, **filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "audit/index.html", entries=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, page=page,
        filters=filters, actors=log.distinct(db, "actor"), actions=log.distinct(db, "action"),
        entities=log.distinct(db, "entity"))


@bp.get("/audit.csv")
@access("coordinator")
def export():
    """CSV of the filtered log; network addresses only when an admin asks for them."""
    with_addresses = request.args.get("addresses") == "1"
    if with_addresses and not current().is_admin:
        abort(403)
    rows = log.entries(get_db(), **_filters(), limit=None)
    body = "\ufeff" + log.to_csv(rows, with_addresses=with_addresses)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit.csv"})
