"""The desk's pages: intake while on the phone, the consultations waiting, one
consultation (answer, refer, follow up, make it a need), rumours, the hand-over sheet."""

import datetime
import uuid

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from ..accounts.access import access, current
from ..db import get_db
from ..i18n import chosen_language
from ..shelters import places, registry
from ..shelters.registry import ValidationError
from ..spreadsheet import csv_text
from ..vocabulary import desk_vocabulary, languages, need_categories, skills
from ..volunteers import assignments, matching
from ..volunteers.registry import SKILL_LABELS, list_volunteers
from . import consultations, daily, handover, help_requests, questions, rumours

bp = Blueprint("desk", __name__, url_prefix="/desk")

FORM_FIELDS = ("client_id", "channel", "language", "topic", "people", "place_id", "ward",
               "question", "answer", "referral", "follow_up_due", "interpreter_id", "status",
               "contact_name", "contact_phone", "consent", "confirm_personal")


def _form_values(form, fields=FORM_FIELDS):
    return {k: form.get(k) for k in fields if k in form}


def _choices():
    tag = chosen_language()
    vocabulary = desk_vocabulary()

    def labelled(kind):
        return {key: labels.get(tag) or labels["en"] for key, labels in vocabulary[kind].items()}

    return {"channels": labelled("channels"), "topics": labelled("topics"),
            "referrals": labelled("referrals"), "sources": labelled("rumour_sources"),
            "languages": languages(), "city": current_app.extensions["city"],
            "statuses": consultations.STATUSES, "rumour_statuses": rumours.STATUSES,
            "groups": places.GROUP_LABELS}


def _interpreters(db):
    return [v for v in list_volunteers(db) if len(v["languages"]) > 1 or
            set(v["languages"]) - {"ja"}]


def _desk_page(errors=None, form=None, status=200):
    db = get_db()
    return render_template(
        "desk/index.html", errors=errors or {}, form=form or {}, client_id=uuid.uuid4().hex,
        waiting=consultations.waiting(db), recent=consultations.list_consultations(db, limit=20),
        rumours=rumours.list_rumours(db, active_only=True),
        places=registry.list_shelters(db, status="open", sort="name"),
        interpreters=_interpreters(db), **_choices()), status


@bp.get("/")
@access("coordinator")
def index():
    return _desk_page()


@bp.post("/consultations")
@access("coordinator")
def take():
    try:
        consultation, created = consultations.record_consultation(
            get_db(), _form_values(request.form), current_app.extensions["city"],
            actor=current().actor("form"))
    except ValidationError as exc:
        return _desk_page(exc.errors, request.form, 400)
    if created:
        flash(_("Consultation %(id)s recorded.", id=consultation["id"]), "success")
    else:
        flash(_("This consultation was already recorded (sent twice)."), "info")
    return redirect(url_for("desk.index"))


def _consultation_or_404(consultation_id):
    try:
        return consultations.get_consultation(get_db(), consultation_id)
    except consultations.ConsultationNotFound:
        abort(404)


def _consultation_page(consultation_id, errors=None, form=None, status=200):
    db = get_db()
    return render_template(
        "desk/consultation.html", c=_consultation_or_404(consultation_id),
        errors=errors or {}, form=form or {}, interpreters=_interpreters(db),
        places=registry.list_shelters(db, status="open", sort="name"),
        categories=need_categories(), **_choices()), status


@bp.get("/consultations/<int:consultation_id>")
@access("coordinator")
def consultation(consultation_id):
    return _consultation_page(consultation_id)


@bp.post("/consultations/<int:consultation_id>")
@access("coordinator")
def update(consultation_id):
    _consultation_or_404(consultation_id)
    fields = [f for f in FORM_FIELDS if f != "client_id"]
    try:
        changes = consultations.update_consultation(
            get_db(), consultation_id, _form_values(request.form, fields),
            current_app.extensions["city"], actor=current().actor("form"))
    except ValidationError as exc:
        return _consultation_page(consultation_id, exc.errors, request.form, 400)
    flash(_("Saved: %(count)s change(s).", count=len(changes)) if changes
          else _("Nothing changed."), "success" if changes else "info")
    return redirect(url_for("desk.consultation", consultation_id=consultation_id))


@bp.post("/consultations/<int:consultation_id>/need")
@access("coordinator")
def make_need(consultation_id):
    _consultation_or_404(consultation_id)
    try:
        need, created = consultations.to_need(
            get_db(), consultation_id, request.form.get("place_id") or None,
            request.form.get("category", ""), actor=current().actor("form"))
    except ValidationError as exc:
        return _consultation_page(consultation_id, exc.errors, request.form, 400)
    flash(_("Need %(id)s recorded at the place.", id=need["id"]) if created else
          _("This consultation is already need %(id)s.", id=need["id"]), "success")
    return redirect(url_for("needs.detail", need_id=need["id"]))


@bp.post("/consultations/<int:consultation_id>/question")
@access("coordinator")
def make_question(consultation_id):
    """An answered consultation as a question for everyone (a draft notice)."""
    _consultation_or_404(consultation_id)
    try:
        notice_id = questions.make_question_answer(get_db(), consultation_id, request.form,
                                                   actor=current().actor("form"))
    except ValidationError as exc:
        return _consultation_page(consultation_id, exc.errors, request.form, 400)
    flash(_("The question is a notice draft now: check it, have it translated, publish it."),
          "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


# --- Rumours ---------------------------------------------------------------------

def _rumours_page(errors=None, form=None, status=200):
    return render_template("desk/rumours.html", rumours=rumours.list_rumours(get_db()),
                           errors=errors or {}, form=form or {}, **_choices()), status


@bp.get("/rumours")
@access("coordinator")
def rumour_list():
    return _rumours_page()


@bp.post("/rumours")
@access("coordinator")
def log_rumour():
    try:
        rumours.log_rumour(get_db(), request.form, actor=current().actor("form"))
    except ValidationError as exc:
        return _rumours_page(exc.errors, request.form, 400)
    flash(_("Rumour logged."), "success")
    return redirect(url_for("desk.rumour_list"))


def _rumour_step(rumour_id, step):
    try:
        result = step(get_db(), rumour_id)
    except rumours.RumourNotFound:
        abort(404)
    except ValidationError as exc:
        return None, _rumours_page(exc.errors, request.form, 400)
    return result, None


@bp.post("/rumours/<int:rumour_id>/heard")
@access("coordinator")
def rumour_heard(rumour_id):
    _, page = _rumour_step(rumour_id, lambda db, i: rumours.heard_again(
        db, i, request.form, actor=current().actor("form")))
    return page or redirect(url_for("desk.rumour_list"))


@bp.post("/rumours/<int:rumour_id>/status")
@access("coordinator")
def rumour_status(rumour_id):
    _, page = _rumour_step(rumour_id, lambda db, i: rumours.set_status(
        db, i, request.form, actor=current().actor("form")))
    return page or redirect(url_for("desk.rumour_list"))


@bp.post("/rumours/<int:rumour_id>/answer")
@access("coordinator")
def rumour_answer(rumour_id):
    notice_id, page = _rumour_step(rumour_id, lambda db, i: rumours.answer(
        db, i, actor=current().actor("form")))
    if page:
        return page
    flash(_("A notice that answers the rumour is drafted: check it, then publish it."),
          "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


# --- Hand-over ---------------------------------------------------------------------

@bp.get("/handover")
@access("coordinator")
def handover_page(errors=None, form=None, status=200):
    db = get_db()
    return render_template(
        "desk/handover.html", items=handover.build_items(db), sections=handover.SECTIONS,
        sheets=handover.list_handovers(db), errors=errors or {}, form=form or {},
        **_choices()), status


@bp.post("/handover")
@access("coordinator")
def hand_over():
    try:
        sheet_id = handover.hand_over(get_db(), request.form, actor=current().actor("form"))
    except ValidationError as exc:
        return handover_page(exc.errors, request.form, 400)
    flash(_("Hand-over sheet kept: the next coordinator acknowledges it."), "success")
    return redirect(url_for("desk.sheet", handover_id=sheet_id))


def _sheet_or_404(handover_id):
    try:
        return handover.get_handover(get_db(), handover_id)
    except handover.HandoverNotFound:
        abort(404)


@bp.get("/handover/<int:handover_id>")
@access("coordinator")
def sheet(handover_id, errors=None):
    return render_template("desk/sheet.html", sheet=_sheet_or_404(handover_id),
                           sections=handover.SECTIONS, errors=errors or {}, **_choices())


@bp.post("/handover/<int:handover_id>/acknowledge")
@access("coordinator")
def acknowledge(handover_id):
    _sheet_or_404(handover_id)
    try:
        handover.acknowledge(get_db(), handover_id, actor=current().actor("form"))
    except ValidationError as exc:
        return sheet(handover_id, errors=exc.errors), 400
    flash(_("Hand-over acknowledged."), "success")
    return redirect(url_for("desk.sheet", handover_id=handover_id))


# --- The daily report --------------------------------------------------------------

def _day():
    raw = request.args.get("day", "")
    if not raw:
        return daily.today()
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        abort(404)


@bp.get("/daily")
@access("coordinator")
def daily_page():
    day = _day()
    report = daily.daily_report(get_db(), day)
    return render_template(
        "desk/daily.html", report=report, day=day,
        previous=(day - datetime.timedelta(days=1)).isoformat(),
        following=(day + datetime.timedelta(days=1)).isoformat(), **_choices())


@bp.get("/daily.csv")
@access("coordinator")
def daily_csv():
    """The long table: plain CSV, or with the HXL hashtag row (?hxl=1)."""
    day = _day()
    table = daily.rows(daily.daily_report(get_db(), day))
    header = [[name for name, _ in daily.HXL_COLUMNS]]
    if request.args.get("hxl") == "1":
        header.append([tag for _, tag in daily.HXL_COLUMNS])
    name = f"daily-report-{day.isoformat()}{'-hxl' if request.args.get('hxl') == '1' else ''}"
    return Response(csv_text(header + table, bom=request.args.get("excel") == "1"),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


# --- Asking for help beyond the city -----------------------------------------------

def _help_page(errors=None, form=None, status=200):
    db = get_db()
    need_list, volunteers = assignments.engine_input(db)
    unserved = matching.group_unserved(need_list, matching.unreachable(need_list, volunteers))
    return render_template(
        "desk/help.html", requests=help_requests.list_requests(db), unserved=unserved,
        errors=errors or {}, form=form or {}, skills=skills(),
        skill_labels=SKILL_LABELS, request_statuses=help_requests.STATUSES,
        **_choices()), status


@bp.get("/help")
@access("coordinator")
def help_list():
    wanted = request.args.getlist("language")
    return _help_page(form={"languages": wanted} if wanted else None)


@bp.post("/help")
@access("coordinator")
def help_create():
    values = {k: request.form.get(k) for k in help_requests.FIELD_LABELS}
    values["languages"] = request.form.getlist("languages")
    values["skills"] = request.form.getlist("skills")
    try:
        request_id = help_requests.create_request(get_db(), values,
                                                  actor=current().actor("form"))
    except ValidationError as exc:
        form = request.form.to_dict()
        form["languages"] = values["languages"]
        return _help_page(exc.errors, form, 400)
    flash(_("Request drafted: print it or send its file, then mark it sent."), "success")
    return redirect(url_for("desk.help_detail", request_id=request_id))


@bp.post("/help/import")
@access("coordinator")
def help_import():
    upload = request.files.get("file")
    try:
        request_id = help_requests.import_request(
            get_db(), upload.read(help_requests.MAX_FILE + 1) if upload else b"",
            actor=current().actor("form"))
    except ValidationError as exc:
        return _help_page(exc.errors, None, 400)
    flash(_("Request received: see what this city could send."), "success")
    return redirect(url_for("desk.help_detail", request_id=request_id))


def _help_or_404(request_id):
    try:
        return help_requests.get_request(get_db(), request_id)
    except help_requests.RequestNotFound:
        abort(404)


@bp.get("/help/<int:request_id>")
@access("coordinator")
def help_detail(request_id, errors=None, made=None, status=200):
    help_request = _help_or_404(request_id)
    could_send = help_requests.what_we_could_send(get_db(), help_request) \
        if help_request["direction"] == "received" else {}
    return render_template("desk/help_request.html", r=help_request, errors=errors or {},
                           made=made or [], could_send=could_send, skills=skills(),
                           skill_labels=SKILL_LABELS,
                           request_statuses=help_requests.STATUSES, **_choices()), status


@bp.get("/help/<int:request_id>.xml")
@access("coordinator")
def help_file(request_id):
    help_request = _help_or_404(request_id)
    city = current_app.extensions["city"]
    return Response(help_requests.to_edxl(help_request, city.name("en")),
                    mimetype="application/xml", headers={
                        "Content-Disposition": f"attachment; filename=help-request-"
                                               f"{request_id}.xml"})


@bp.post("/help/<int:request_id>/status")
@access("coordinator")
def help_status(request_id):
    _help_or_404(request_id)
    try:
        help_requests.set_status(get_db(), request_id, request.form.get("status", ""),
                                 actor=current().actor("form"))
    except ValidationError as exc:
        return help_detail(request_id, errors=exc.errors, status=400)
    return redirect(url_for("desk.help_detail", request_id=request_id))


@bp.post("/help/<int:request_id>/arrivals")
@access("coordinator")
def help_arrivals(request_id):
    _help_or_404(request_id)
    form = request.form
    rows = [{"name": form.get(f"name-{n}", ""), "language": form.get(f"language-{n}"),
             "level": "native", "phone": form.get(f"phone-{n}", "")} for n in range(10)]
    city = current_app.extensions["city"]
    try:
        made = help_requests.arrivals(get_db(), request_id, rows,
                                      actor=current().actor("form"),
                                      wards={w.id for w in city.wards})
    except ValidationError as exc:
        return help_detail(request_id, errors=exc.errors, status=400)
    return help_detail(request_id, made=made)
