"""Patrol pages: plan and start a round, follow it live, print a team's pack, the team's
phone page (kept for offline use); visits come in by form here, by JSON through the API."""

import segno
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from ..accounts import devices
from ..accounts.access import access, current
from ..accounts.views import join_url
from ..db import get_accounts_db, get_db
from ..errors import render_error
from ..notices import records as notices
from ..notices.render import render
from ..notices.views import board_url, qr_svg
from ..shelters import places
from ..shelters.registry import KINDS, ValidationError
from ..text import _l
from ..vocabulary import languages, need_categories
from . import pack, rounds, visits

bp = Blueprint("patrols", __name__)


def _index_page(errors=None, settings=None, status=200, plan=None, rows=None, people=None):
    db = get_db()
    return render_template(
        "patrols/index.html", rounds=rounds.list_rounds(db), statuses=rounds.STATUSES,
        follow_ups=visits.open_follow_ups(db), unvisited=rounds.unvisited_places(db),
        errors=errors or {}, settings=settings or {}, limits=rounds.LIMITS, plan=plan,
        rows=rows or {}, people=people or {}, kinds=KINDS,
        checked_in=len(rounds.available_volunteers(db))), status


@bp.get("/patrols")
@access("coordinator")
def index():
    return _index_page()


@bp.get("/patrols/plan")
@access("coordinator")
def plan():
    """The proposal, to look at before starting it."""
    try:
        settings = rounds.parse_settings(request.args)
    except ValidationError as exc:
        return _index_page(errors=exc.errors, settings=request.args, status=400)
    proposal, rows, people = rounds.propose(get_db(), current_app.extensions["city"], settings)
    return _index_page(settings={**request.args, **{k: v for k, v in settings.items() if v}},
                       plan=proposal, rows=rows, people=people)


@bp.post("/patrols")
@access("coordinator")
def start():
    form = request.form
    try:
        settings = rounds.parse_settings(form)
        round_id = rounds.create_round(get_db(), current_app.extensions["city"], settings,
                                       name=form.get("name", ""),
                                       actor=current().actor("form"))
    except ValidationError as exc:
        return _index_page(errors=exc.errors, settings=form, status=400)
    flash(_("The patrol round has started."), "success")
    return redirect(url_for("patrols.round_page", round_id=round_id))


def _round_or_404(round_id):
    try:
        return rounds.get_round(get_db(), round_id)
    except rounds.RoundNotFound:
        abort(404)


@bp.get("/patrols/<int:round_id>")
@access("coordinator")
def round_page(round_id):
    return render_template("patrols/round.html", round=_round_or_404(round_id),
                           statuses=rounds.STATUSES, kinds=KINDS,
                           recent=[v for v in visits.recent_visits(get_db(), limit=40)
                                   if v["team_id"] in {t["id"] for t in
                                                       _round_or_404(round_id)["teams"]}])


@bp.post("/patrols/<int:round_id>/done")
@access("coordinator")
def finish(round_id):
    _round_or_404(round_id)
    rounds.finish_round(get_db(), round_id, actor=current().actor("form"))
    flash(_("The patrol round is closed."), "success")
    return redirect(url_for("patrols.round_page", round_id=round_id))


def _team_or_404(team_id):
    try:
        return rounds.team(get_db(), team_id)
    except rounds.RoundNotFound:
        abort(404)


def _may_use_team(team):
    who = current()
    if who.is_coordinator or who.patrol_team_id == team["id"]:
        return True
    return who.kind == "user" and any(m["user_id"] == who.user_id for m in team["members"])


def _board_texts(db, stop, tags):
    """The notices valid at a stop now, in each of ``tags``."""
    shown = notices.board_order(notices.board_notices(db, stop["place_id"]))
    names = notices.names_for(db, shown)
    return [(notice, [(tag, render(notice, tag, names)) for tag in tags]) for notice in shown]


@bp.get("/patrols/teams/<int:team_id>/pack")
@access("coordinator")
def team_pack(team_id):
    db = get_db()
    team = _team_or_404(team_id)
    city = current_app.extensions["city"]
    start_point = (team["start_lat"], team["start_lon"])
    stops = [(s["position"], s["lat"], s["lon"], s["name"]) for s in team["stops"]]
    sheets = []
    for stop in team["stops"]:
        tags = ["ja-x-easy"] + [t for t in stop["languages"] if t not in ("ja", "ja-x-easy")]
        sheets.append({"stop": stop, "texts": _board_texts(db, stop, tags),
                       "qr": [(tag, qr_svg(board_url(stop["place_id"], tag), scale=2),
                               board_url(stop["place_id"], tag)) for tag in tags]})
    return render_template(
        "patrols/pack.html", team=team, sheets=sheets, kinds=KINDS,
        map=pack.route_svg(start_point, stops, city.wards, _("Route of team %(name)s",
                                                             name=team["name"])),
        categories=need_categories())


@bp.post("/patrols/teams/<int:team_id>/link")
@access("coordinator")
def team_link(team_id):
    team = _team_or_404(team_id)
    try:
        _device_id, token = devices.issue_patrol_device(
            get_accounts_db(), team["id"], request.form.get("label") or _(
                "Patrol team %(number)s", number=team["name"]), actor=current().actor("form"))
    except ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    url = join_url(token)
    qr = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
    return render_template("patrols/link.html", team=team, url=url, qr=qr)


@bp.get("/patrol/<int:team_id>")
@access("signed_in")
def team_page(team_id):
    """The team's phone: the route in order, each stop's languages and needs, and the
    way to its tablet page where the visit is recorded (kept for offline use)."""
    team = _team_or_404(team_id)
    if not _may_use_team(team):
        abort(403)
    response = current_app.make_response(render_template(
        "patrols/team.html", team=team, kinds=KINDS, languages=languages()))
    if current().kind == "user":
        # no personal data on this page: a team member's phone keeps it for offline use
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def _found_place_page(team, errors=None, form=None, status=200):
    return render_template(
        "patrols/found.html", team=team, errors=errors or {}, form=form or {}, kinds=KINDS,
        added_kinds=places.ADDED_KINDS, fields=places.PLACE_FIELDS,
        city=current_app.extensions["city"], languages=languages()), status


@bp.get("/patrol/<int:team_id>/places/new")
@access("signed_in")
def found_place(team_id):
    team = _team_or_404(team_id)
    if not _may_use_team(team):
        abort(403)
    return _found_place_page(team)


@bp.post("/patrol/<int:team_id>/places/new")
@access("signed_in")
def add_found_place(team_id):
    """A team adds the place where it found people (then records the visit there)."""
    team = _team_or_404(team_id)
    if not _may_use_team(team):
        abort(403)
    form = request.form
    values = {key: form.get(key, "") for key in ("kind", "name", "ward", "district",
                                                 "address", "lat", "lon")}
    values["languages"] = {tag: form.get(f"lang-{tag}", "") for tag in languages()
                           if form.get(f"lang-{tag}", "").strip()}
    try:
        place = rounds.add_found_place(get_db(), current_app.extensions["city"], team_id,
                                       values, actor=current().actor("form"))
    except ValidationError as exc:
        return _found_place_page(team, exc.errors, form, 400)
    flash(_("Place added: %(name)s.", name=place["name"]), "success")
    return redirect(url_for("needs.tablet", shelter_id=place["id"], team=team_id) + "#visit")


def visit_values(form, team_id):
    """The visit form's fields as record_visit takes them (the JSON the outbox sends)."""
    return {"client_id": form.get("client_id", ""), "place_id": form.get("place_id", ""),
            "team_id": team_id, "note": form.get("note", ""),
            "follow_up": form.get("follow_up", ""), "notices": form.getlist("notices"),
            "languages": {key[4:]: value for key, value in form.items()
                          if key.startswith("met-") and value.strip()}}


@bp.post("/patrol/<int:team_id>/visits")
@access("signed_in")
def record_visit_form(team_id):
    """The visit form without script (or with network at once): the same record."""
    team = _team_or_404(team_id)
    place_id = request.form.get("place_id", "")
    if not _may_use_team(team) or (current().patrol_team_id and
                                   not current().may_see_shelter(place_id)):
        abort(403)
    try:
        _visit, created = visits.record_visit(get_db(), visit_values(request.form, team_id),
                                              actor=current().actor("form"))
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(url_for("needs.tablet", shelter_id=place_id, team=team_id) + "#visit")
    flash(_("Visit saved.") if created else _("This visit was already saved (sent twice)."),
          "success" if created else "info")
    return redirect(url_for("patrols.team_page", team_id=team_id))


@bp.post("/patrols/follow-ups/<int:visit_id>/done")
@access("coordinator")
def follow_up_done(visit_id):
    try:
        visits.finish_follow_up(get_db(), visit_id, actor=current().actor("form"))
    except visits.VisitNotFound:
        abort(404)
    flash(_("Follow-up done."), "success")
    return redirect(url_for("patrols.index"))
