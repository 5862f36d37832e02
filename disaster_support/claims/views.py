"""Taking and letting go of a need or a notice draft, and the warning before acting on
one somebody else is handling."""

import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _

from ..accounts.access import access, current
from ..db import get_db
from ..local_paths import local_path
from . import records

bp = Blueprint("claims", __name__)

SUBJECT_TABLES = {"need": "need", "notice": "notice"}
OVERRIDE = "despite_claim"


@bp.app_template_filter("clock")
def clock(value):
    """A stored UTC time as the hour and minute in Japan time ("10:42")."""
    return format_time(datetime.datetime.fromisoformat(value), "short") if value else ""


def _subject_or_404(subject, subject_id):
    if subject not in SUBJECT_TABLES:
        abort(404)
    if not get_db().execute(f"SELECT 1 FROM {SUBJECT_TABLES[subject]} WHERE id = ?",
                            [subject_id]).fetchone():
        abort(404)


def _default_back(subject, subject_id):
    if subject == "need":
        return url_for("needs.detail", need_id=subject_id)
    return url_for("notices.detail", notice_id=subject_id)


def _subject_name(subject, subject_id):
    if subject == "need":
        return _("Need %(id)s", id=subject_id)
    return _("Notice %(id)s", id=subject_id)


@bp.post("/claims/<subject>/<int:subject_id>")
@access("coordinator")
def take(subject, subject_id):
    _subject_or_404(subject, subject_id)
    who = current()
    back = local_path(request.form.get("back", ""), _default_back(subject, subject_id))
    try:
        records.take(get_db(), subject, subject_id, account_id=who.user_id, username=who.name,
                     take_over=bool(request.form.get("take_over")))
    except records.ClaimHeld as held:
        flash(_("%(what)s is being handled by %(name)s since %(time)s. Nothing was changed.",
                what=_subject_name(subject, subject_id), name=held.claim["username"],
                time=clock(held.claim["claimed_at"])), "error")
        return redirect(back), 303
    flash(_("You are handling %(what)s.", what=_subject_name(subject, subject_id)), "success")
    return redirect(back), 303


@bp.post("/claims/<subject>/<int:subject_id>/release")
@access("coordinator")
def release(subject, subject_id):
    _subject_or_404(subject, subject_id)
    back = local_path(request.form.get("back", ""), _default_back(subject, subject_id))
    if records.release(get_db(), subject, subject_id, account_id=current().user_id):
        flash(_("You let go of %(what)s.", what=_subject_name(subject, subject_id)), "info")
    return redirect(back), 303


def held_by_other(subject, subject_id):
    """The claim of somebody else on this, unless the form says to act despite it."""
    if request.form.get(OVERRIDE):
        return None
    claim = records.claim_of(get_db(), subject, subject_id)
    if claim and claim["account_id"] != current().user_id:
        return claim
    return None


def warn_held(subject, subject_id, claim):
    """Nothing is done: the same form again, to send despite the claim if one must."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    return render_template("claims/held.html", claim=claim, fields=fields,
                           action=request.path, override=OVERRIDE,
                           what=_subject_name(subject, subject_id),
                           back=_default_back(subject, subject_id)), 409
