"""Evacuees' report pages (public, in the board's language) and the coordinators' lane."""

import uuid

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from ..accounts.access import access, current
from ..db import get_db
from ..errors import render_error, wants_json
from ..i18n import ui_languages
from ..local_paths import local_path
from ..needs import records as needs
from ..notices.views import board_language
from ..shelters import registry
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import category_label, languages, need_categories
from . import records, review

bp = Blueprint("reports", __name__)


# --- The public report pages ---------------------------------------------------------

def _form_values(form):
    return {k: form.get(k) for k in records.FORM_FIELDS if k in form}


def _render_form(tag, *, shelter=None, errors=None, form=None, status=200):
    city = current_app.extensions["city"]
    (a, b), token = records.new_challenge()
    form = form or {}
    response = current_app.make_response((render_template(
        "reports/report.html", tag=tag, shelter=shelter, city=city, languages=languages(),
        categories=need_categories(),
        labels={c: category_label(c, tag) for c in need_categories()},
        question=(a, b), challenge=token, client_id=form.get("client_id") or uuid.uuid4().hex,
        form=form, errors=errors or {}, max_people=records.MAX_PEOPLE,
        max_note=needs.MAX_NOTE, chosen=form.get("language") or tag,
        closed=shelter is not None and shelter["status"] == "closed",
        action=_action(shelter, tag)), status))
    return _with_device(response, tag)


def _action(shelter, tag):
    if shelter is None:
        return url_for("reports.city_report", lang=tag)
    return url_for("reports.place_report", shelter_id=shelter["id"], lang=tag)


def _with_device(response, tag):
    """The device cookie the limits count by (random; only its keyed hash is stored)."""
    if not records._DEVICE.match(request.cookies.get(records.DEVICE_COOKIE) or ""):
        response.set_cookie(records.DEVICE_COOKIE, records.new_device_id(),
                            max_age=records.DEVICE_COOKIE_DAYS * 24 * 3600, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    if request.args.get("lang") in languages() and tag not in ui_languages():
        # as the boards do; a language with a complete catalog i18n remembers itself
        response.set_cookie("lang", tag, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    # a page with a question answered once is never kept by a cache
    response.headers["Cache-Control"] = "no-store"
    return response


def _submit(tag, shelter):
    db = get_db()
    values = _form_values(request.form)
    try:
        need, created = records.submit_report(
            db, current_app.extensions["city"], shelter and shelter["id"], values,
            address=request.remote_addr, device=request.cookies.get(records.DEVICE_COOKIE))
    except records.RateLimited as exc:
        if wants_json():
            return _with_device(render_error(429, exc.message, {"rate": exc.message})[0], tag), 429
        return _render_form(tag, shelter=shelter, errors={"rate": exc.message},
                            form=request.form, status=429)
    except ValidationError as exc:
        if wants_json():
            return render_error(400, _l("Nothing was sent. Please correct:"), exc.errors)
        return _render_form(tag, shelter=shelter, errors=exc.errors, form=request.form,
                            status=400)
    message = _("Thank you: your report was received.") if created else _(
        "This report was already received (sent twice): nothing was added.")
    if wants_json():
        response = jsonify({"created": created, "message": message})
        return _with_device(response, tag), 201 if created else 200
    return _with_device(current_app.make_response(render_template(
        "reports/done.html", tag=tag, shelter=shelter, message=message, created=created,
        callback=bool(values.get("phone")) and created,
        language=languages()[need["language"]]["autonym"],
        again=_action(shelter, tag))), tag)


def _open_place(shelter_id):
    try:
        return records.place_for_report(get_db(), shelter_id)
    except registry.ShelterNotFound:
        abort(404)


@bp.route("/board/<shelter_id>/report", methods=["GET", "POST"])
@access("public")
def place_report(shelter_id):
    """A place's report page: "I need…" for the people there."""
    shelter = _open_place(shelter_id)
    tag = board_language()
    if request.method == "POST":
        return _submit(tag, shelter)
    if shelter["id"] != shelter_id:  # merged into another: its page (printed QR codes)
        return redirect(url_for("reports.place_report", shelter_id=shelter["id"],
                                **request.args))
    return _render_form(tag, shelter=shelter)


@bp.route("/board/report", methods=["GET", "POST"])
@access("public")
def city_report():
    """The city-wide report page: for people at home or elsewhere (their ward's group)."""
    if not current_app.extensions["city"].wards:
        abort(404)  # a city without wards has no "at home" groups: reports go to a place
    tag = board_language()
    if request.method == "POST":
        return _submit(tag, None)
    return _render_form(tag)


# --- The coordinators' lane ------------------------------------------------------------

def lane_context(db, limit=review.LANE_SIZE):
    """What templates/reports/_lane.html shows (besides ``categories``, ``languages`` and
    ``city``, which the needs queue has): pass it to render_template."""
    return {"reports": review.reported_needs(db, limit=limit),
            "reports_total": review.count_reported(db)}


@bp.get("/reports/")
@access("coordinator")
def index():
    db = get_db()
    return render_template("reports/index.html", **lane_context(db, limit=1000),
                           reports_back=url_for("reports.index"),
                           categories=need_categories(), languages=languages(),
                           city=current_app.extensions["city"])


def _act(need_id, action, success):
    back = local_path(request.form.get("back", ""), url_for("needs.queue"))
    try:
        action()
    except needs.NeedNotFound:
        abort(404)
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
    else:
        flash(success, "success")
    return redirect(back), 303


@bp.post("/reports/<int:need_id>/confirm")
@access("coordinator")
def confirm(need_id):
    return _act(need_id, lambda: review.confirm(get_db(), need_id,
                                                actor=current().actor("form")),
                _("Report %(id)s confirmed: it is an open need now.", id=need_id))


@bp.post("/reports/<int:need_id>/dismiss")
@access("coordinator")
def dismiss(need_id):
    return _act(need_id, lambda: review.dismiss(get_db(), need_id,
                                                actor=current().actor("form"),
                                                reason=request.form.get("reason")),
                _("Report %(id)s dismissed.", id=need_id))


@bp.post("/reports/<int:need_id>/merge")
@access("coordinator")
def merge(need_id):
    into = request.form.get("into", "").strip().lstrip("#")
    return _act(need_id, lambda: review.merge(get_db(), need_id, into,
                                              actor=current().actor("form")),
                _("Report %(id)s merged into need %(into)s.", id=need_id, into=into))
