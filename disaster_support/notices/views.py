"""Notice pages: the coordinator's notices, the public boards, printouts."""

import segno
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from markupsafe import Markup

from ..accounts.access import access, current
from ..claims import records as claims
from ..claims.views import held_by_other, warn_held
from ..db import get_db, to_utc
from ..formatting import localiso, localtime
from ..i18n import chosen_language
from ..needs import records as needs
from ..outreach import mail, reach
from ..translating import glossary, review, worklist
from ..parameters import whole_number
from ..shelters import registry
from ..shelters.places import PUBLIC_KINDS
from ..shelters.registry import Conflict, ValidationError
from ..shelters.views import shelter_or_404
from ..vocabulary import languages, need_categories
from . import publishing, records
from .render import render, render_all
from .templates import OFFICIAL_SLOTS, SLOT_TYPES, items, templates

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
    return dict(templates=offered_templates(), categories=need_categories(),
                languages=languages(), items=items(), slot_labels=records.SLOT_LABELS,
                official_slots=OFFICIAL_SLOTS,
                shelters=registry.list_shelters(db, kind=None, sort="name"), errors={},
                form={}, values={}, **extra)


def offered_templates():
    """The templates the notice form offers: official information has its own page."""
    return {i: t for i, t in templates().items() if not t.official}


def _need_or_404(raw):
    """The need a new notice answers (?need=), None without one."""
    if raw in (None, ""):
        return None
    try:
        return needs.get_need(get_db(), whole_number(raw) or 0)
    except needs.NeedNotFound:
        abort(404)


@bp.get("/notices/new")
@access("coordinator")
def new():
    template_id = request.args.get("template", "")
    template = offered_templates().get(template_id)
    need = _need_or_404(request.args.get("need"))
    context = _form_context(need=need)
    if need:
        # templates of the need's category first; the need's shelter as the place
        context["templates"] = dict(sorted(context["templates"].items(),
                                           key=lambda i: i[1].category != need["category"]))
        if template and "place" in template.slots:
            context["values"] = {"place": "shelter:" + need["shelter_id"]}
    return render_template("notices/new.html", template=template, **context)


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
    if form.get("template_id") in templates() and form["template_id"] not in offered_templates():
        context = _form_context()
        context["errors"] = {"template_id": _("Template: official information is announced "
                                              "on the Official information page.")}
        return render_template("notices/new.html", template=None, **context), 400
    template = templates().get(form.get("template_id", ""))
    # a need id that is not a number is no need (-1): refused, naming the field
    need_id = None if not form.get("need_id") else whole_number(form["need_id"]) or -1
    try:
        if template:
            notice_id = records.create_notice(
                get_db(), template_id=template.id, slots=_slot_values(form, template),
                source_language=form.get("source_language", "ja"), need_id=need_id,
                actor=current().actor("form"))
        else:
            notice_id = records.create_notice(
                get_db(), title=form.get("title"), body=form.get("body"),
                category=form.get("category"), source_language=form.get("source_language", ""),
                need_id=need_id, actor=current().actor("form"))
    except ValidationError as exc:
        context = _form_context(need=_need_or_404(need_id) if "need_id" not in exc.errors
                                and need_id else None)
        context.update(errors=exc.errors, form=form,
                       values=_slot_values(form, template) if template else {})
        return render_template("notices/new.html", template=template, **context), 400
    flash(_("Draft saved. Check every language, then publish."), "success")
    return redirect(url_for("notices.detail", notice_id=notice_id,
                            need=need_id if need_id and need_id > 0 else None))


def _publish_choice(notice, values=None):
    """What the publish form shows: the values sent (back from the check page, or
    refused), else the notice's own area (for a draft: the one proposed when it was
    made) and, for a published notice, its end."""
    if values is not None and "area_kind" in values:
        kind = values.get("area_kind", "")
        return {"area_kind": kind,
                "area": values.getlist("wards" if kind == "wards" else "shelters"),
                "valid_from": _as_input(values.get("valid_from", "")),
                "valid_until": _as_input(values.get("valid_until", ""))}
    until = notice["valid_until"] if notice["status"] == "published" else None
    return {"area_kind": notice["area_kind"], "area": notice["area"], "valid_from": "",
            "valid_until": localiso(until) if until else ""}


def _as_input(value):
    """A time as a datetime-local input shows it (Japan time); as sent when unreadable."""
    try:
        return localiso(to_utc(value)) if value else ""
    except ValueError:
        return value


def _need_id(values):
    """The need being answered (carried along as ?need=), if there is one."""
    need_id = whole_number(values.get("need", ""))
    return need_id if need_id and needs.shelter_of(get_db(), need_id) else None


@bp.get("/notices/<int:notice_id>")
@access("coordinator")
def detail(notice_id, errors=None, status=200, values=None):
    db = get_db()
    notice = _notice_or_404(notice_id)
    names = records.names_for(db, [notice])
    template = templates().get(notice["template_id"]) if notice["template_id"] else None
    city = current_app.extensions["city"]
    texts = render_all(notice, names)
    return render_template(
        "notices/detail.html", notice=notice, texts=texts,
        reach=reach.reach(db, notice, texts) if notice["status"] == "published" else [],
        posted=reach.places_posted(db, notice_id), gap_hours=reach.GAP_HOURS,
        mail_counts=mail.outbox_counts(db, notice_id), **_review_context(db, notice),
        glossary_terms=_glossary_terms(notice, texts[notice["source_language"]]),
        claim=claims.claim_of(db, "notice", notice_id),
        template=template, versions=records.versions(db, notice_id), states=records.STATES,
        languages=languages(), city=city, errors=errors or {},
        choice=_publish_choice(notice, values if values is not None else request.args),
        need_id=_need_id(values if values is not None else request.args),
        shelters=registry.list_shelters(db, kind=None, sort="name"), items=items(),
        slot_labels=records.SLOT_LABELS, slot_types=SLOT_TYPES,
        official_slots=OFFICIAL_SLOTS), status


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
    if held := held_by_other("notice", notice_id):
        return warn_held("notice", notice_id, held)
    form = request.form
    template = templates().get(notice["template_id"]) if notice["template_id"] else None
    try:
        return _run(notice_id, lambda: records.update_notice(
            get_db(), notice_id, actor=current().actor("form"),
            slots=_slot_values(form, template) if template else None,
            title=form.get("title"), body=form.get("body"),
            expected_version=whole_number(form.get("expected_version", ""))), _("Saved."))
    except Conflict as exc:  # another coordinator saved first: theirs is shown, not lost
        return detail(notice_id, errors=exc.errors, status=409)


def _choice(values):
    """Area and validity as publishing takes them; no area kind is no choice (never
    the whole city by default)."""
    kind = values.get("area_kind", "")
    return {"area_kind": kind,
            "area": values.getlist("wards" if kind == "wards" else "shelters"),
            "valid_from": values.get("valid_from") or None,
            "valid_until": values.get("valid_until") or None}


def _check_page(notice_id, values, errors=None, status=200):
    try:
        shown = publishing.check(get_db(), notice_id, **_choice(values))
    except ValidationError as exc:
        return detail(notice_id, errors=exc.errors, status=400, values=values)
    return render_template(
        "notices/check.html", **shown, need_id=_need_id(values), errors=errors or {},
        states=records.STATES, languages=languages(), city=current_app.extensions["city"],
        **_review_context(get_db(), shown["notice"])), status


def _glossary_terms(notice, original):
    """{tag: the glossary's terms the original uses, as that language must write them}."""
    text = f"{original.title}\n{original.body}\n{original.pending_note or ''}"
    return {tag: glossary.terms_in(text, notice["source_language"], tag)
            for tag in languages()}


def _review_context(db, notice):
    """Each language's text: draft, translated (to review) or reviewed."""
    reviews = review.template_reviews(db)
    return {"text_states": {tag: review.notice_text_state(notice, tag, reviews)
                            for tag in languages()},
            "review_states": review.STATES}


@bp.get("/notices/<int:notice_id>/check")
@access("coordinator")
def check(notice_id):
    """Check before publishing: the area, the validity and every language."""
    _notice_or_404(notice_id)
    return _check_page(notice_id, request.args)


@bp.post("/notices/<int:notice_id>/publish")
@access("coordinator")
def publish(notice_id):
    """Only a confirmation from the check page publishes; without one (an old form,
    a script) the choice is checked and the check page shown."""
    _notice_or_404(notice_id)
    if held := held_by_other("notice", notice_id):
        return warn_held("notice", notice_id, held)
    form, db = request.form, get_db()
    choice = _choice(form)
    try:
        if not form.get("checked"):
            publishing.check(db, notice_id, **choice)
            query = {"wards" if choice["area_kind"] == "wards" else "shelters": choice["area"],
                     "area_kind": choice["area_kind"], "valid_from": choice["valid_from"],
                     "valid_until": choice["valid_until"], "need": _need_id(form)}
            return redirect(url_for("notices.check", notice_id=notice_id, **query)), 303
        publishing.confirm(db, notice_id, checked=form["checked"],
                           actor=current().actor("form"), **choice)
    except publishing.NoticeChanged as exc:
        return _check_page(notice_id, form, errors=exc.errors, status=409)
    except ValidationError as exc:
        return detail(notice_id, errors=exc.errors, status=400, values=form)
    flash(_published_banner(db, records.get_notice(db, notice_id), _need_id(form)), "success")
    return redirect(url_for("notices.detail", notice_id=notice_id)), 303


def _link(url, text, lang=None):
    if lang:
        return Markup('<a href="{}" lang="{}">{}</a>').format(url, lang, text)
    return Markup('<a href="{}">{}</a>').format(url, text)


def _published_banner(db, notice, need_id):
    """Published (or scheduled), with links to where it shows: markup whose every
    part is escaped (shelter names come from open-data files)."""
    if records.state(notice) == "scheduled":
        said = _("Scheduled: the boards of its area show it from %(start)s.",
                 start=localtime(notice["valid_from"]))
    else:
        said = _("Published: the boards of its area show it now.")
    parts = [Markup("{}").format(said)]
    boards = publishing.boards(db, notice)
    if boards and len(boards) <= publishing.BOARD_LINKS:
        parts.append(Markup("{} {}").format(_("See it on the board:"), Markup(", ").join(
            _link(url_for("notices.board", shelter_id=i), name, "ja") for i, name in boards)))
    else:
        parts.append(_link(url_for("notices.boards"), _("See it on the public boards")))
    if need_id:
        parts.append(_link(url_for("needs.detail", need_id=need_id),
                           _("Back to need %(id)s", id=need_id)))
    return Markup(" · ").join(parts)


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
    if held := held_by_other("notice", notice_id):
        return warn_held("notice", notice_id, held)
    form = request.form
    answer = _run(notice_id, lambda: records.add_translation(
        get_db(), notice_id, language, title=form.get("title"), body=form.get("body"),
        note=form.get("note"), actor=current().actor("form")), _("Translation saved."))
    if isinstance(answer, tuple):  # refused: the page (status 400) names the field
        return answer
    notice = records.get_notice(get_db(), notice_id)
    if language in notice["translations"]:
        saved = notice["translations"][language]
        original = render(notice, notice["source_language"])
        source = original.pending_note or notice["slots"].get("note") or \
            f"{original.title}\n{original.body}"
        lost = glossary.dropped(source, notice["source_language"],
                                " ".join(filter(None, (saved["title"], saved["body"],
                                                       saved["note"]))), language)
        if lost:
            flash(_("Check the fixed terms: the translation does not use %(terms)s.",
                    terms=", ".join(f"{term} → {expected}" for term, expected in lost)),
                  "warning")
    return answer


@bp.get("/notices/translations")
@access("coordinator")
def translations():
    """The work list: what to translate or review, the most urgent × most read first."""
    db = get_db()
    language = request.args.get("language")
    items = worklist.work_list(db, language=language if language in languages() else None)
    return render_template("notices/translations.html", items=items, languages=languages(),
                           names=records.names_for(db, [i["notice"] for i in items]),
                           render=render, chosen=language)


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
    shelters = [s for s in shelters if s["kind"] in PUBLIC_KINDS]
    return render_template("notices/boards.html", shelters=shelters, tag=board_language(),
                           languages=languages(), city=current_app.extensions["city"])


@bp.get("/board/<shelter_id>")
@access("public")
def board(shelter_id):
    db = get_db()
    shelter = shelter_or_404(shelter_id)  # a merged place's QR code leads to its successor
    tag = board_language()
    notices = records.board_order(records.board_notices(db, shelter_id))
    names = records.names_for(db, notices)
    texts = [(n, render(n, tag, names)) for n in notices]
    reach.count_views(db, [n["id"] for n in notices], shelter["id"], tag)
    response = current_app.make_response(render_template(
        "notices/board.html", shelter=shelter, texts=texts, tag=tag, languages=languages(),
        categories=need_categories(), is_pinned=records.is_pinned))
    if request.args.get("lang") in languages():
        response.set_cookie("lang", tag, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


# --- Printouts -------------------------------------------------------------------

@bp.get("/n/<int:notice_id>/<tag>")
@access("public")
def public_notice(notice_id, tag):
    """One notice in one language: where a post, a mail or an SMS links (short, so it
    fits). Only while it is on the boards; afterwards the reader is sent to the boards."""
    db = get_db()
    if tag not in languages():
        abort(404)
    if request.args.get("lang") in languages() and request.args["lang"] != tag:
        # the language menu of public pages links ?lang=
        return redirect(url_for("notices.public_notice", notice_id=notice_id,
                                tag=request.args["lang"]))
    try:
        notice = records.get_notice(db, notice_id)
    except records.NoticeNotFound:
        abort(404)
    if notice["state"] != "published":
        return redirect(url_for("notices.boards", lang=tag))
    text = render(notice, tag, records.names_for(db, [notice]))
    reach.count_views(db, [notice_id], reach.SHORT_LINK, tag)
    return render_template("notices/public_notice.html", notice=notice, text=text, tag=tag,
                           languages=languages(), categories=need_categories(),
                           is_pinned=records.is_pinned)


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
    shelter = shelter_or_404(shelter_id)
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


@bp.get("/shelters/<shelter_id>/questions/poster")
@access("shelter")
def questions_poster(shelter_id):
    """An A4 poster of the questions people asked that hold for a shelter now, with
    their answers, in the chosen languages (default: Easy Japanese, English and the
    languages of the evacuees there)."""
    db = get_db()
    shelter = shelter_or_404(shelter_id)
    asked = [n for n in records.board_notices(db, shelter["id"]) if n["question_answer"]]
    chosen = [t for t in request.args.get("langs", "").split(",") if t in languages()]
    if not chosen:
        chosen = ["ja-x-easy", "en"] + [t for t in shelter["languages"] if t != "en"]
    names = records.names_for(db, asked)
    blocks = [(tag, [render(n, tag, names) for n in asked], qr_svg(board_url(shelter_id, tag)),
               board_url(shelter_id, tag)) for tag in chosen]
    return render_template("notices/questions_poster.html", shelter=shelter, blocks=blocks,
                           asked=asked, languages=languages())


@bp.get("/shelters/<shelter_id>/sheet")
@access("shelter")
def sheet(shelter_id):
    """The wall sheet of a shelter: a QR code per language to its board."""
    shelter = shelter_or_404(shelter_id)
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
