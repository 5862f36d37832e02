"""Volunteer pages: the registry, matching proposals, and each volunteer's own page."""

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts.access import access, current
from ..claims.views import held_by_other, warn_held
from ..db import get_db
from ..maps import views as maps
from ..needs import answers
from ..needs import records as needs
from ..notices import records as notices
from ..notices.render import render
from ..parameters import whole_number
from ..shelters import registry as shelters
from ..shelters.importer import ShelterFileError
from ..shelters.registry import ValidationError
from ..vocabulary import languages, need_categories, skills
from . import assignments, registry
from . import matching as engine
from .matching import LEVELS

bp = Blueprint("volunteers", __name__)


def _wards():
    return {w.id for w in current_app.extensions["city"].wards}


def _form_values(form):
    return {
        "name": form.get("name"), "phone": form.get("phone"), "email": form.get("email"),
        "ward": form.get("ward"), "lat": form.get("lat"), "lon": form.get("lon"),
        "max_assignments": form.get("max_assignments"), "consent_date": form.get("consent_date"),
        "languages": {tag: form.get(f"level-{tag}") for tag in languages()
                      if form.get(f"level-{tag}")},
        "skills": form.getlist("skills"),
        "availability": [w for w in (form.get("availability") or "").split(";") if w.strip()],
        "note": form.get("note"),
    }


def _typed(form):
    """What was typed, in the shape the form shows a volunteer in (availability as
    pairs of times; one that does not read as such is left out)."""
    values = _form_values(form)
    try:
        values["availability"] = registry.parse_availability(values["availability"])
    except (ValueError, TypeError):
        values["availability"] = []
    return values


def _context(**extra):
    context = dict(languages=languages(), levels=LEVELS, level_labels=registry.LEVEL_LABELS,
                   skills=skills(), skill_labels=registry.SKILL_LABELS,
                   city=current_app.extensions["city"], errors={}, form={})
    context.update(extra)
    return context


@bp.get("/volunteers")
@access("coordinator")
def index(errors=None, form=None, status=200):
    db = get_db()
    language = request.args.get("language") or None
    checked = {"yes": True, "no": False}.get(request.args.get("checked_in", ""))
    context = _context(volunteers=registry.list_volunteers(db, language=language,
                                                          checked_in=checked),
                       language=language, checked_in=request.args.get("checked_in", ""))
    errors = errors or {}
    context.update(errors=errors, form=form or {},
                   form_errors={k: v for k, v in errors.items() if k != "file"})
    return render_template("volunteers/index.html", **context), status


@bp.post("/volunteers")
@access("coordinator")
def create():
    try:
        volunteer_id = registry.create_volunteer(get_db(), _form_values(request.form),
                                                 actor=current().actor("form"), wards=_wards())
    except ValidationError as exc:
        return index(errors=exc.errors, form=_typed(request.form), status=400)
    flash(_("Volunteer registered."), "success")
    return redirect(url_for("volunteers.detail", volunteer_id=volunteer_id))


@bp.post("/volunteers/import")
@access("coordinator")
def import_csv():
    upload = request.files.get("file")
    if not upload or not upload.filename:
        return index(errors={"file": _("CSV file: choose a file to import.")}, status=400)
    try:
        count = registry.import_csv(get_db(), upload.read(), actor=current().actor("form"),
                                    wards=_wards(), name=upload.filename)
    except ShelterFileError as exc:
        return index(errors={"file": str(exc)}, status=400)
    flash(ngettext("%(num)s volunteer imported.", "%(num)s volunteers imported.", count),
          "success")
    return redirect(url_for("volunteers.index"))


def _volunteer_or_404(volunteer_id):
    # (an id SQLite cannot hold never gets here: parameters.DatabaseIdConverter)
    try:
        return registry.get_volunteer(get_db(), volunteer_id)
    except registry.VolunteerNotFound:
        abort(404)


@bp.get("/volunteers/<int:volunteer_id>")
@access("coordinator")
def detail(volunteer_id, errors=None, status=200):
    db = get_db()
    volunteer = _volunteer_or_404(volunteer_id)
    place = volunteer["checked_in_place"]
    place_name = None
    places = shelters.list_shelters(db, status="open", sort="name")
    if place and place != "center":
        try:
            here = shelters.get_shelter(db, place)
            place_name = here["name"]
            if all(s["id"] != place for s in places):
                places.insert(0, here)  # the select shows where the volunteer is, even closed
        except shelters.ShelterNotFound:
            place_name = place
    return render_template(
        "volunteers/detail.html", volunteer=volunteer, place_name=place_name,
        assignments=assignments.list_assignments(db, volunteer_id=volunteer_id),
        shelters=places, **_context(errors=errors or {})), status


@bp.post("/volunteers/<int:volunteer_id>")
@access("coordinator")
def update(volunteer_id):
    _volunteer_or_404(volunteer_id)
    try:
        registry.update_volunteer(get_db(), volunteer_id, _form_values(request.form),
                                  actor=current().actor("form"), wards=_wards())
    except ValidationError as exc:
        return detail(volunteer_id, errors=exc.errors, status=400)
    flash(_("Saved."), "success")
    return redirect(url_for("volunteers.detail", volunteer_id=volunteer_id))


@bp.post("/volunteers/<int:volunteer_id>/presence")
@access("coordinator")
def presence(volunteer_id):
    _volunteer_or_404(volunteer_id)
    db = get_db()
    place = request.form.get("place", "")
    try:
        if place == "out":
            registry.check_out(db, volunteer_id, actor=current().actor("form"))
        else:
            registry.check_in(db, volunteer_id, place, actor=current().actor("form"))
    except ValidationError as exc:
        return detail(volunteer_id, errors=exc.errors, status=400)
    flash(_("Saved."), "success")
    return redirect(url_for("volunteers.detail", volunteer_id=volunteer_id))


# --- Matching --------------------------------------------------------------------

@bp.get("/matching")
@access("coordinator")
def matching():
    db = get_db()
    proposals = assignments.list_assignments(db, status="proposed")
    active = assignments.list_assignments(db, status=("confirmed", "accepted"))
    need_list, volunteers = assignments.engine_input(db)
    # what no proposal can cover, without solving the matching on every page view
    preview = engine.group_unserved(need_list, engine.unreachable(need_list, volunteers))
    groups = {key: [a for a in proposals if _group_of(a) == key] for key in GROUPS}
    return render_template("volunteers/matching.html", groups=groups, active=active,
                           newest=max((a["created_at"] for a in proposals), default=None),
                           decided=_decided(db, request.args), unservable=preview,
                           categories=need_categories(), languages=languages(),
                           urgencies=needs.URGENCIES, open_needs=len(need_list),
                           available=len(volunteers))


# Proposals by urgency, the most urgent first; translation tasks last.
GROUPS = (*needs.URGENCIES, "translation")


def _group_of(assignment):
    return assignment["urgency"] if assignment["kind"] == "need" else "translation"


def _decided(db, args):
    """What the coordinator just decided, said where it happened: (group, message)."""
    assignment_id = whole_number(args.get("decided", ""))
    found = assignment_id and assignments.list_assignments(db, assignment_id=assignment_id)
    if not found or args.get("action") not in ("confirm", "decline"):
        return None
    name = found[0]["volunteer_name"]
    if args["action"] == "confirm":
        message = _("Confirmed: %(volunteer)s is asked to help.", volunteer=name)
    else:
        message = _("Declined: %(volunteer)s is not proposed for this again.", volunteer=name)
    return _group_of(found[0]), message


@bp.post("/matching/propose")
@access("coordinator")
def propose():
    result = assignments.propose(get_db(), actor=current().actor("form"))
    flash(ngettext("%(num)s proposal made.", "%(num)s proposals made.", len(result.proposals)),
          "success")
    return redirect(url_for("volunteers.matching"))


@bp.post("/matching/translations")
@access("coordinator")
def propose_translations():
    count = assignments.propose_translations(get_db(), actor=current().actor("form"))
    flash(ngettext("%(num)s translation task proposed.", "%(num)s translation tasks proposed.",
                   count), "success")
    return redirect(url_for("volunteers.matching"))


@bp.post("/matching/confirm-all")
@access("coordinator")
def confirm_all():
    db = get_db()
    urgency = request.form.get("urgency") or None  # "critical": those only
    if urgency is not None and urgency not in needs.URGENCIES:
        abort(400)
    ids = [a["id"] for a in assignments.list_assignments(db, status="proposed")
           if urgency is None or _group_of(a) == urgency]
    for assignment_id in ids:
        assignments.confirm(db, assignment_id, actor=current().actor("form"))
    flash(ngettext("%(num)s proposal confirmed.", "%(num)s proposals confirmed.", len(ids)),
          "success")
    return redirect(url_for("volunteers.matching"))


@bp.post("/assignments/<int:assignment_id>/<any(confirm, decline):action>")
@access("coordinator")
def decide(assignment_id, action):
    db = get_db()
    found = assignments.list_assignments(db, assignment_id=assignment_id)
    if not found:
        abort(404)
    group = _group_of(found[0])
    need_id = found[0]["need_id"]
    if need_id and (held := held_by_other("need", need_id)):
        return warn_held("need", need_id, held)
    try:
        if action == "confirm":
            assignments.confirm(db, assignment_id, actor=current().actor("form"))
        else:
            assignments.decline_proposal(db, assignment_id, actor=current().actor("form"))
    except assignments.AssignmentNotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(next(iter(exc.errors.values()))), "error")
        return redirect(url_for("volunteers.matching"))
    # back where the coordinator was: the proposal's group, the answer said there
    return redirect(url_for("volunteers.matching", decided=assignment_id, action=action,
                            _anchor=f"group-{group}"))


# --- The volunteer's own page ------------------------------------------------------

def _me():
    principal = current()
    volunteer = assignments.volunteer_of_user(get_db(), principal.user_id) \
        if principal.kind == "user" else None
    if volunteer is None:
        abort(403)
    return volunteer


@bp.get("/me")
@access("signed_in")
def me():
    db = get_db()
    volunteer = _me()
    mine = assignments.list_assignments(db, volunteer_id=volunteer["id"],
                                        status=("confirmed", "accepted"))
    tasks = []
    for task in mine:
        if task["kind"] == "translation":
            notice = notices.get_notice(db, task["notice_id"])
            source = render(notice, notice["source_language"], notices.names_for(db, [notice]))
            tasks.append((task, notice, source))
    done = assignments.list_assignments(db, volunteer_id=volunteer["id"], status="done")
    needed = [a for a in mine if a["kind"] == "need"]
    # where to go, on a small map: each shelter of the volunteer's needs once
    places = [shelters.get_shelter(db, shelter_id) for shelter_id in
              dict.fromkeys(a["shelter_id"] for a in needed if a["shelter_id"])]
    place_map, map_data = maps.place_map(places) or (None, None)
    return render_template("volunteers/me.html", volunteer=volunteer,
                           assignments=needed, tasks=tasks,
                           done=done, categories=need_categories(), languages=languages(),
                           urgencies=needs.URGENCIES, map=place_map, map_data=map_data)


@bp.post("/me/assignments/<int:assignment_id>")
@access("signed_in")
def respond(assignment_id):
    volunteer = _me()
    answer = request.form.get("answer", "")
    translation = None
    if answer == "done" and request.form.get("kind") == "translation":
        translation = {k: request.form.get(k) for k in ("title", "body", "note")
                       if request.form.get(k) is not None}
    try:
        assignments.respond(get_db(), assignment_id, answer, actor=current().actor("form"),
                            volunteer_id=volunteer["id"], translation=translation)
    except assignments.AssignmentNotFound:
        abort(404)
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(url_for("volunteers.me")), 303
    flash(_("Thank you: saved."), "success")
    return redirect(url_for("volunteers.me")), 303


# --- Needs answered by notices ---------------------------------------------------

@bp.post("/needs/<int:need_id>/answer")
@access("need")
def answer(need_id):
    db = get_db()
    if current().is_coordinator and (held := held_by_other("need", need_id)):
        return warn_held("need", need_id, held)
    notice_id = whole_number(request.form.get("notice_id", ""))
    try:
        answers.answer_with_notice(db, need_id, -1 if notice_id is None else notice_id,
                                   actor=current().actor("form"))
    except needs.NeedNotFound:
        abort(404)
    except ValidationError as exc:
        flash(str(next(iter(exc.errors.values()))), "error")
        return redirect(url_for("needs.detail", need_id=need_id)), 303
    flash(_("Answered with the notice: the need is resolved."), "success")
    return redirect(url_for("needs.detail", need_id=need_id)), 303
