"""Notice pages: the coordinator's notices, the public boards, printouts."""

import segno
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from ..accounts.access import access, current
from ..db import get_db
from ..i18n import chosen_language
from ..shelters import registry
from ..shelters.registry import ValidationError
from ..vocabulary import languages, need_categories
from . import records
from .render import render, render_all
from .templates import SLOT_TYPES, items, templates

bp = Blueprint("notices", __name__)


def _notice_or_404(notice_id):
    try:
        return records.get_notice(get_db(), notice_id)
    except records.NoticeNotFound:
        abort(404)


@bp.get("/notices")
@access("coordinator")
def index():
    db = get_db()
    notices = records.list_notices(db)
    names = records.names_for(db, notices)
    tag = chosen_language()
    return render_template("notices/index.html", notices=notices, states=records.STATES,
                           titles={n["id"]: render(n | {"translations": {}}, tag, names).title
                                   for n in notices},
                           missing=len(records.missing_translations(db)))


def _form_context(**extra):
    db = get_db()
    return dict(templates=templates(), categories=need_categories(), languages=languages(),
                items=items(), slot_labels=records.SLOT_LABELS,
                shelters=registry.list_shelters(db, kind=None, sort="name"), errors={},
                form={}, values={}, **extra)


@bp.get("/notices/new")
@access("coordinator")
def new():
    template_id = request.args.get("template", "")
    template = templates().get(template_id)
    return render_template("notices/new.html", template=template, **_form_context())


def _slot_values(form, template):
    return {name: _slot_from_form(form, name) for name in template.slots}


def _slot_from_form(form, name):
    if name == "time_range":
        start, end = form.get("slot_time_range_from", ""), form.get("slot_time_range_to", "")
        return f"{start}-{end}" if start or end else ""
    if name == "place" and form.get("slot_place_shelter"):
        return "shelter:" + form["slot_place_shelter"]
    return form.get(f"slot_{name}", "")


@bp.post("/notices/new")
@access("coordinator")
def create():
    form = request.form
    template = templates().get(form.get("template_id", ""))
    try:
        if template:
            notice_id = records.create_notice(
                get_db(), template_id=template.id, slots=_slot_values(form, template),
                source_language=form.get("source_language", "ja"),
                actor=current().actor("form"))
        else:
            notice_id = records.create_notice(
                get_db(), title=form.get("title"), body=form.get("body"),
                category=form.get("category"), source_language=form.get("source_language", ""),
                actor=current().actor("form"))
    except ValidationError as exc:
        context = _form_context()
        context.update(errors=exc.errors, form=form,
                       values=_slot_values(form, template) if template else {})
        return render_template("notices/new.html", template=template, **context), 400
    flash(_("Draft saved. Check every language, then publish."), "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.get("/notices/<int:notice_id>")
@access("coordinator")
def detail(notice_id, errors=None, status=200):
    db = get_db()
    notice = _notice_or_404(notice_id)
    names = records.names_for(db, [notice])
    template = templates().get(notice["template_id"]) if notice["template_id"] else None
    city = current_app.extensions["city"]
    return render_template(
        "notices/detail.html", notice=notice, texts=render_all(notice, names),
        template=template, versions=records.versions(db, notice_id), states=records.STATES,
        languages=languages(), city=city, errors=errors or {},
        shelters=registry.list_shelters(db, kind=None, sort="name"), items=items(),
        slot_labels=records.SLOT_LABELS, slot_types=SLOT_TYPES), status


def _run(notice_id, action, success):
    try:
        action()
    except ValidationError as exc:
        return detail(notice_id, errors=exc.errors, status=400)
    flash(success, "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.post("/notices/<int:notice_id>/edit")
@access("coordinator")
def edit(notice_id):
    notice = _notice_or_404(notice_id)
    form = request.form
    template = templates().get(notice["template_id"]) if notice["template_id"] else None
    return _run(notice_id, lambda: records.update_notice(
        get_db(), notice_id, actor=current().actor("form"),
        slots=_slot_values(form, template) if template else None,
        title=form.get("title"), body=form.get("body")), _("Saved."))


@bp.post("/notices/<int:notice_id>/publish")
@access("coordinator")
def publish(notice_id):
    _notice_or_404(notice_id)
    form = request.form
    kind = form.get("area_kind", "all")
    area = form.getlist("wards") if kind == "wards" else form.getlist("shelters")
    return _run(notice_id, lambda: records.publish(
        get_db(), notice_id, area_kind=kind, area=area, valid_from=form.get("valid_from"),
        valid_until=form.get("valid_until"), actor=current().actor("form")),
        _("Published: the boards of its area show it now."))


@bp.post("/notices/<int:notice_id>/withdraw")
@access("coordinator")
def withdraw(notice_id):
    _notice_or_404(notice_id)
    return _run(notice_id, lambda: records.withdraw(get_db(), notice_id,
                                                    actor=current().actor("form")),
                _("Withdrawn: the boards no longer show it."))


@bp.post("/notices/<int:notice_id>/translations/<language>")
@access("coordinator")
def translate(notice_id, language):
    _notice_or_404(notice_id)
    form = request.form
    return _run(notice_id, lambda: records.add_translation(
        get_db(), notice_id, language, title=form.get("title"), body=form.get("body"),
        note=form.get("note"), actor=current().actor("form")), _("Translation saved."))


@bp.get("/notices/translations")
@access("coordinator")
def translations():
    db = get_db()
    missing = records.missing_translations(db)
    return render_template("notices/translations.html", missing=missing, languages=languages(),
                           names=records.names_for(db, [n for n, _ in missing]), render=render)


# --- Public boards ---------------------------------------------------------------

def board_language():
    """The reader's language: any of the 16, even one the staff pages lack."""
    for tag in (request.args.get("lang"), request.cookies.get("lang")):
        if tag in languages():
            return tag
    return chosen_language()


@bp.get("/board")
@access("public")
def boards():
    shelters = registry.list_shelters(get_db(), status="open", sort="ward")
    shelters += registry.list_shelters(get_db(), status="full", sort="ward")
    return render_template("notices/boards.html", shelters=shelters, tag=board_language(),
                           languages=languages(), city=current_app.extensions["city"])


@bp.get("/board/<shelter_id>")
@access("public")
def board(shelter_id):
    db = get_db()
    try:
        shelter = registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        abort(404)
    tag = board_language()
    notices = records.board_notices(db, shelter_id)
    names = records.names_for(db, notices)
    texts = [(n, render(n, tag, names)) for n in notices]
    response = current_app.make_response(render_template(
        "notices/board.html", shelter=shelter, texts=texts, tag=tag, languages=languages(),
        categories=need_categories()))
    if request.args.get("lang") in languages():
        response.set_cookie("lang", tag, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


# --- Printouts -------------------------------------------------------------------

def qr_svg(url, scale=4):
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


def board_url(shelter_id, tag):
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("notices.board", shelter_id=shelter_id, lang=tag)


@bp.get("/notices/<int:notice_id>/print")
@access("coordinator")
def print_choice(notice_id):
    """The coordinator's choice of shelter and languages, on to the poster."""
    shelter_id = request.args.get("shelter", "")
    langs = [t for t in request.args.getlist("langs") if t in languages()]
    if not shelter_id:
        abort(404)
    return redirect(url_for("notices.poster", shelter_id=shelter_id, notice_id=notice_id,
                            langs=",".join(langs) or None))


@bp.get("/shelters/<shelter_id>/notices/<int:notice_id>/poster")
@access("shelter")
def poster(shelter_id, notice_id):
    """An A4 poster of one notice for one shelter, in the chosen languages."""
    db = get_db()
    try:
        shelter = registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        abort(404)
    notice = _notice_or_404(notice_id)
    if notice["state"] != "published" and not current().is_coordinator:
        abort(404)
    chosen = [t for t in request.args.get("langs", "").split(",") if t in languages()]
    if not chosen:
        chosen = ["ja-x-easy", "en"] + [t for t in shelter["languages"] if t not in ("en",)]
    names = records.names_for(db, [notice])
    blocks = [(tag, render(notice, tag, names), qr_svg(board_url(shelter_id, tag)),
               board_url(shelter_id, tag)) for tag in chosen]
    return render_template("notices/poster.html", notice=notice, shelter=shelter, blocks=blocks,
                           languages=languages(), categories=need_categories())


@bp.get("/shelters/<shelter_id>/sheet")
@access("shelter")
def sheet(shelter_id):
    """The wall sheet of a shelter: a QR code per language to its board."""
    try:
        shelter = registry.get_shelter(get_db(), shelter_id)
    except registry.ShelterNotFound:
        abort(404)
    codes = [(tag, entry["autonym"], qr_svg(board_url(shelter_id, tag), scale=3))
             for tag, entry in languages().items()]
    return render_template("notices/sheet.html", shelter=shelter, codes=codes,
                           main_qr=qr_svg(board_url(shelter_id, "ja-x-easy"), scale=4),
                           main_url=board_url(shelter_id, "ja-x-easy"))


# --- CAP 1.2: alerts out, alerts in -----------------------------------------------

def _public_base():
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.get("/notices/<int:notice_id>/cap.xml")
@access("public")
def cap_alert(notice_id):
    """A notice as a CAP 1.2 alert: anyone for a notice that is or was on the boards,
    the coordinator for a draft, a scheduled or a withdrawn one (not public, or no
    longer: it may have been withdrawn for being wrong)."""
    from ..drills.runs import active_drill
    from .cap import notice_to_cap

    notice = _notice_or_404(notice_id)
    if records.state(notice) not in ("published", "expired") and not current().is_coordinator:
        abort(404)
    body = notice_to_cap(
        get_db(), notice, city=current_app.extensions["city"],
        board_url=_public_base() + url_for("notices.boards"),
        exercise=bool(active_drill(current_app)), sender=current_app.config.get("CAP_SENDER"))
    return current_app.response_class(body, mimetype="application/cap+xml", headers={
        "Content-Disposition": f"inline; filename=notice-{notice_id}.cap.xml"})


@bp.get("/cap/alerts.atom")
@access("public")
def cap_feed():
    from .cap import atom_feed

    base = _public_base()
    body = atom_feed(get_db(), city=current_app.extensions["city"], base_url=base,
                     cap_url=lambda i: base + url_for("notices.cap_alert", notice_id=i))
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.post("/notices/import-cap")
@access("coordinator")
def import_cap():
    from .cap import import_cap as read_alert

    upload = request.files.get("alert")
    try:
        if upload is None or not upload.filename:
            raise ValidationError({"alert": _("Choose a CAP alert file (XML).")})
        notice_id, skipped = read_alert(get_db(), upload.read(),
                                        actor=current().actor("form"))
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(url_for("notices.index")), 303
    flash(_("The alert is a draft notice now: check it, then publish."), "success")
    if skipped:
        flash(_("Languages this tool does not have were left out: %(tags)s",
                tags=", ".join(skipped)), "info")
    return redirect(url_for("notices.detail", notice_id=notice_id)), 303
