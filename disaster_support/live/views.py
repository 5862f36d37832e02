"""The change feed over HTTP, for the coordinator's pages (static/js/live.js).

Polling, not Server-Sent Events: a WSGI stream holds one of the server's few threads
for as long as it is open, so a stream per open tab would starve the tablets; a poll
every few seconds is one short request, passes any proxy, and resumes from its cursor
after a network drop or a server restart without missing or repeating a change.
"""

from flask import Blueprint, g, jsonify, redirect, request, url_for
from flask_babel import ngettext

from ..accounts.access import access, current
from ..claims import records as claims
from ..db import get_db
from ..local_paths import local_path
from ..parameters import INT64_MAX, InputError, number_message, whole_number
from . import feed, seen

bp = Blueprint("live", __name__)

POLL_SECONDS = 3
MAX_SEEN = 500


@bp.before_app_request
def remember_cursor():
    """The cursor is read before the page's data: a change committed while the page is
    drawn then comes again from the feed (redrawn twice, never missed)."""
    # pages only: static files and the feed itself need no cursor (a query saved each)
    if (request.method == "GET" and request.endpoint not in ("static", "live.changes")
            and current().is_coordinator and current().user_id):
        g.live_cursor = feed.latest(get_db())


def new_label(news):
    """The header's quiet count: "3 new needs · 1 critical"."""
    label = ngettext("%(num)s new need", "%(num)s new needs", news["count"])
    if news["critical"]:
        label += " · " + ngettext("%(num)s critical", "%(num)s critical", news["critical"])
    return label


def _with_label(news):
    return {**news, "label": new_label(news)}


@bp.app_context_processor
def live_state():
    def state():
        who = current()
        if not (who.is_coordinator and who.user_id):
            return None
        if "live_new" not in g:
            g.live_new = seen.new_needs(get_db(), who.user_id)
        return {"cursor": g.get("live_cursor", 0), "new": g.live_new,
                "feed": url_for("live.changes"), "seen": url_for("live.mark_seen"),
                "poll_seconds": POLL_SECONDS}
    return {"live_state": state, "live_new_label": new_label}


@bp.get("/live/changes")
@access("coordinator")
def changes():
    db = get_db()
    after = whole_number(request.args.get("after", "0"))
    if after is None:
        message = number_message("after", 0, INT64_MAX)
        raise InputError(400, message, {"after": message})
    who = current()
    if who.user_id:
        # an open page is a coordinator at work: the claims they hold stay theirs
        claims.renew(db, who.user_id)
    claims.expire(db)
    answer = feed.changes_after(db, after)
    if who.user_id:
        answer["new_needs"] = _with_label(seen.new_needs(db, who.user_id))
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/live/seen")
@access("coordinator")
def mark_seen():
    """The page showed these needs on screen."""
    who = current()
    ids = [whole_number(i) for i in request.form.getlist("need")][:MAX_SEEN]
    db = get_db()
    if who.user_id:
        seen.mark_seen(db, who.user_id, [i for i in ids if i])
    return jsonify({"new_needs": _with_label(seen.new_needs(db, who.user_id))
                    if who.user_id else None})


@bp.post("/live/seen-all")
@access("coordinator")
def mark_all_seen():
    who = current()
    if who.user_id:
        seen.mark_all_seen(get_db(), who.user_id)
    return redirect(local_path(request.form.get("back", ""), url_for("needs.queue"))), 303
