"""Pages for needs: the shelter tablet, the coordinator's queue, the situation."""

import datetime
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts.access import access, current
from ..claims import records as claims
from ..claims.views import held_by_other, warn_held
from ..db import get_db
from ..desk import consultations, rumours
from ..formatting import Reader
from ..i18n import chosen_language
from ..live import seen
from ..notices import records as notice_records
from ..notices.render import render as render_notice
from ..outreach import reach
from ..local_paths import local_path
from ..parameters import INT64_MAX, InputError, integer_arg, number_message, whole_number
from ..patrols import rounds
from ..reports import records as report_records
from ..reports import review
from ..shelters import places, registry
from ..shelters.registry import Conflict, ValidationError
from ..shelters.views import parse_choices, shelter_or_404
from ..text import _l, read_once
from ..vocabulary import category_label, languages, need_categories
from . import answers, records, situation

bp = Blueprint("needs", __name__)

PAGE_SIZE = 50  # a screen and a scroll; more rows only cost time on every refresh
MAX_PAGE = 1_000_000  # far past the last page; the offset stays an SQLite integer
AGE_CHOICES = (30, 60, 120, 240, 720, 1440)
ORIGIN_LABELS = {
    "staff": _l("Shelter staff or the center"),
    "patrol": _l("A patrol team on a visit"),
    "self_report": _l("The evacuee, from a phone"),
}


def tablet_languages(shelter):
    """Languages for the tablet: those of the shelter's evacuees first."""
    present = [t for t in shelter["languages"]]
    others = [t for t in languages() if t not in present and t != "ja"]
    return present + others


def patrol_visit(db, shelter):
    """On a patrol team's phone (or with ?team= for a member or a coordinator): the
    team and the notices valid at this place, for the visit form; else None."""
    who = current()
    team_id = who.patrol_team_id or whole_number(request.args.get("team"))
    if not team_id:
        return None
    try:
        team = rounds.team(db, team_id)
    except rounds.RoundNotFound:
        return None
    member = who.kind == "user" and team_id in rounds.teams_of_user(db, who.user_id)
    if not (who.is_coordinator or member or who.patrol_team_id == team_id):
        return None
    shown = notice_records.board_notices(db, shelter["id"])
    names = notice_records.names_for(db, shown)
    tag = chosen_language()
    return {"team": team, "client_id": uuid.uuid4().hex,
            "notices": [(n, render_notice(n, tag, names).title) for n in shown]}


def render_tablet(shelter, errors=None, form=None, status=200):
    db = get_db()
    active = records.list_needs(db, shelter_id=shelter["id"], limit=50)
    closed = records.list_needs(db, shelter_id=shelter["id"], status="resolved", limit=10)
    return render_template(
        "needs/tablet.html", shelter=shelter, categories=need_categories(),
        tablet_languages=tablet_languages(shelter), languages=languages(),
        # plain strings: a lazy label would be translated again for every need listed
        urgencies={k: str(v) for k, v in records.URGENCIES.items()},
        statuses={k: str(v) for k, v in records.STATUSES.items()}, active=active, closed=closed,
        shelter_statuses=registry.STATUSES,
        client_id=uuid.uuid4().hex, errors=errors or {}, form=form or {},
        transitions=records.TRANSITIONS, max_note=records.MAX_NOTE,
        stale_minutes=situation.STALE_MINUTES, patrol=patrol_visit(db, shelter),
        wall=_wall(db, shelter["id"])), status


def _wall(db, shelter_id):
    """The board's notices for the tablet to confirm on the wall: (notice, title, posted
    at or None)."""
    shown = notice_records.board_order(notice_records.board_notices(db, shelter_id))
    names = notice_records.names_for(db, shown)
    posted = reach.posted_at(db, shelter_id)
    tag = chosen_language()
    return [(n, render_notice(n, tag, names).title, posted.get(n["id"])) for n in shown]


@bp.get("/shelters/<shelter_id>/tablet")
@access("shelter")
def tablet(shelter_id):
    return render_tablet(shelter_or_404(shelter_id))


@bp.post("/shelters/<shelter_id>/needs")
@access("shelter")
def record(shelter_id):
    shelter = shelter_or_404(shelter_id)
    form = request.form
    values = {k: form.get(k, "") for k in ("client_id", "category", "language", "people",
                                            "urgency", "note")}
    if form.get("people") == "more":
        values["people"] = form.get("people_more", "")
    if form.get("confirm_personal"):
        values["confirm_personal"] = "1"
    try:
        need, created = records.record_need(
            get_db(), shelter_id, values, actor=current().actor("form"),
            origin="patrol" if current().patrol_team_id else "staff")
    except ValidationError as exc:
        return render_tablet(shelter, errors=exc.errors, form=form, status=400)
    label = category_label(need["category"], chosen_language())
    if created:
        flash(ngettext("Recorded: %(what)s · %(language)s · %(num)s person",
                       "Recorded: %(what)s · %(language)s · %(num)s people", need["people"],
                       what=label, language=languages()[need["language"]]["autonym"]),
              "success")
    else:
        flash(_("This need was already recorded (sent twice): nothing was added."), "info")
    back = form.get("back", "")
    if back.startswith(f"/shelters/{shelter_id}/") and not back.startswith("//"):
        return redirect(back)  # e.g. the conversation board the need came from
    return redirect(url_for("needs.tablet", shelter_id=shelter_id) + "#needs")


@bp.post("/shelters/<shelter_id>/headcount")
@access("shelter")
def headcount(shelter_id):
    shelter = shelter_or_404(shelter_id)
    form = request.form
    values = {"evacuees": form.get("evacuees", ""),
              "languages": {t: form.get(f"lang-{t}", "") for t in languages()
                            if f"lang-{t}" in form}}
    merged = dict(shelter["languages"])
    merged.update({t: v for t, v in values["languages"].items()})
    values["languages"] = merged
    try:
        changes = registry.update_shelter(get_db(), shelter_id, values,
                                          actor=current().actor("form"))
    except ValidationError as exc:
        return render_tablet(shelter, errors=exc.errors, form=form, status=400)
    flash(_("Head counts saved.") if changes else _("Nothing changed."),
          "success" if changes else "info")
    return redirect(url_for("needs.tablet", shelter_id=shelter_id) + "#headcount")


@bp.get("/needs/<int:need_id>")
@access("need")
def detail(need_id):
    db = get_db()
    try:
        need = records.get_need(db, need_id)
    except records.NeedNotFound:
        abort(404)
    from ..volunteers.assignments import list_assignments

    who = current()
    if who.is_coordinator and who.user_id:
        seen.mark_seen(db, who.user_id, [need_id])  # opened: no longer new
    return render_template("needs/detail.html", need=need,
                           claim=claims.claim_of(db, "need", need_id),
                           events=records.need_events(db, need_id),
                           answering=answers.answering_notices(db, need),
                           assignments=list_assignments(db, need_id=need_id),
                           statuses=records.STATUSES, urgencies=records.URGENCIES,
                           categories=need_categories(), transitions=records.TRANSITIONS,
                           city=current_app.extensions["city"], errors={},
                           origins=ORIGIN_LABELS,
                           callback=report_records.callback_of(db, need_id)
                           if who.is_coordinator else None)


@bp.post("/needs/<int:need_id>/status")
@access("need")
def change_status(need_id):
    db = get_db()
    back = request.form.get("back", "")
    held = held_by_other("need", need_id) if current().is_coordinator else None
    if held:
        return warn_held("need", need_id, held)
    try:
        need = records.transition(db, need_id, request.form.get("status", ""),
                                  reason=request.form.get("reason"),
                                  actor=current().actor("form"), only=current().shelters,
                                  expected=request.form.get("expected_status") or None)
    except records.NeedNotFound:
        abort(404)
    except (ValidationError, Conflict) as exc:
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(_back(back, need_id)), 303
    flash(_("Need %(id)s is now “%(status)s”.", id=need_id,
            status=records.STATUSES[need["status"]]), "success")
    return redirect(_back(back, need_id)), 303


def _back(back, need_id):
    return local_path(back, url_for("needs.detail", need_id=need_id))


# --- The coordinator's queue ---------------------------------------------------

def parse_queue_filters(args, city):
    choices = {
        "ward": {w.id for w in city.wards},
        "group": set(places.GROUPS),
        "language": set(languages()),
        "category": set(need_categories()),
        "status": {"active", "all", *records.STATUSES},
        "urgency": set(records.URGENCIES),
        "older_than": {str(m) for m in AGE_CHOICES},
    }
    labels = {"ward": _l("Ward"), "group": _l("Where"), "language": _l("Language"),
              "category": _l("What is needed"), "status": _l("Status"), "urgency": _l("Urgency"), "older_than": _l("Older than")}
    filters, errors = parse_choices(args, choices, labels)
    shelter_id = args.get("shelter_id", "").strip()
    if shelter_id:
        filters["shelter_id"] = shelter_id[:40]
    return filters, errors


@bp.get("/needs")
@access("coordinator")
def queue():
    db = get_db()
    city = current_app.extensions["city"]
    filters, errors = parse_queue_filters(request.args, city)
    page = integer_arg(request.args, "page", _l("Page"), errors, default=1, low=1,
                       high=MAX_PAGE)
    who = current()
    if request.args.get("new") == "1" and who.user_id:
        seen.ensure_floor(db, who.user_id)
        filters["new_for"] = who.user_id
    rows = records.list_needs(db, **filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    total, people = records.count_needs(db, **filters)
    shown = [n["id"] for n in rows[:PAGE_SIZE]]
    tag = chosen_language()
    return render_template(
        "needs/queue.html", needs=_queue_cells(rows[:PAGE_SIZE]), has_more=len(rows) > PAGE_SIZE,
        page=page,
        new_ids=seen.new_among(db, who.user_id, shown) if who.user_id else set(),
        claims=claims.claims_of(db, "need", shown), only_new=bool(filters.get("new_for")),
        total=total, people=people, filters=filters, errors=errors, city=city,
        categories=need_categories(), languages=languages(),
        statuses=read_once(records.STATUSES), urgencies=read_once(records.URGENCIES),
        age_choices=AGE_CHOICES, groups=places.GROUP_LABELS,
        ward_names={w.id: w.name(tag) for w in city.wards},
        category_labels={c: category_label(c, tag) for c in need_categories()},
        # one url_for per link of a row, for the page, not one per row
        need_prefix=url_for("needs.detail", need_id=1)[:-1],
        select_label=_("Select need %(id)s"),  # translated once, filled in per row
        shelter_prefix=url_for("shelters.detail", shelter_id="-")[:-1],
        reports=review.reported_needs(db), reports_total=review.count_reported(db),
        desk_waiting=consultations.waiting(db, limit=500),
        stale_minutes=situation.STALE_MINUTES), 400 if errors else 200


def _queue_cells(rows):
    """The queue's rows with what each cell shows worked out here, in one pass with the
    reader's formats: as template filters, a row's age, language and head count asked
    the request context again for every row (most of a page's time)."""
    reader = Reader()
    now = datetime.datetime.now(datetime.timezone.utc)
    cells = []
    for row in rows:
        minutes = records.age_minutes(row["created_at"], now)
        # attributes, not keys: Jinja looks for an attribute first, and a dict's miss
        # costs an exception per cell
        cells.append(SimpleNamespace(
            **row, minutes=minutes, age_text=reader.minutes(minutes),
            language_html=reader.language_label(row["language"]),
            people_text=reader.number(row["people"])))
    return cells


@bp.post("/needs/bulk")
@access("coordinator")
def bulk():
    ids = [whole_number(i) for i in request.form.getlist("ids")]
    if not all(ids):  # None or 0: only a hand-made request, the page's boxes hold needs
        message = number_message(_l("Need"), 1, INT64_MAX)
        raise InputError(400, message, {"ids": message})
    back = request.form.get("back", "")
    try:
        count = records.bulk_transition(get_db(), ids, request.form.get("status", ""),
                                        reason=request.form.get("reason"),
                                        actor=current().actor("form"))
    except ValidationError as exc:
        flash(_("Nothing was changed:"), "error")
        for key, message in exc.errors.items():
            flash(f"{key}: {message}" if key.isdigit() else str(message), "error")
    else:
        flash(ngettext("%(num)s need changed.", "%(num)s needs changed.", count), "success")
    target = back if back.startswith("/needs") else url_for("needs.queue")
    return redirect(target), 303


@bp.get("/situation")
@access("coordinator")
def situation_view():
    db = get_db()
    city = current_app.extensions["city"]
    ward = request.args.get("ward", "")
    group = request.args.get("group", "")
    if (ward and not city.ward(ward)) or (group and group not in places.GROUPS):
        abort(404)
    table = situation.need_table(db, ward=ward or None, group=group or None)
    reader = Reader()
    return render_template(
        "needs/situation.html", table=table, matrix=_matrix(table, ward, group, reader),
        reader=reader, ward=ward, group=group,
        groups=places.GROUP_LABELS, city=city, categories=need_categories(),
        by_ward=situation.foreign_by_ward(db, group or None), no_ward=situation.NO_WARD,
        rumours=rumours.list_rumours(db, active_only=True),
        rumour_statuses=rumours.STATUSES)


# werkzeug's safe characters in a query: the matrix's links are the ones url_for makes
URL_SAFE = "!$'()*,/:;?@"


def _matrix(table, ward, group, reader):
    """The situation matrix's rows with each cell's text and link worked out here: 16
    languages × 20 categories asked url_for and the number format about a thousand
    times a page as template calls (most of its time)."""
    base = url_for("needs.queue")
    pairs = {}

    def link(language=None, category=None):
        # the queue filtered to this cell, its query in url_for's order and quoting
        query = [(key, value) for key, value in (
            ("language", language), ("category", category), ("ward", ward), ("group", group))
            if value]
        if not query:
            return base
        return base + "?" + "&".join(
            pairs.get(pair) or pairs.setdefault(pair, urlencode([pair], safe=URL_SAFE))
            for pair in query)

    def cell(counts, href, css="num total"):
        return SimpleNamespace(css=css, href=href, people=reader.number(counts["people"]),
                               needs=reader.number(counts["needs"]))

    rows = []
    for language in table["languages"]:
        cells = []
        for category in table["categories"]:
            counts = table["cells"].get((language, category))
            cells.append(counts and cell(counts, link(language, category), "num shade-%d%s" % (
                counts["shade"], " stale" if counts["stale"] else "")))
        rows.append(SimpleNamespace(label=reader.language_label(language), cells=cells,
                                    total=cell(table["rows"][language], link(language))))
    footer = [cell(table["columns"][c], link(category=c)) for c in table["categories"]]
    return SimpleNamespace(rows=rows, footer=footer, total=cell(table["total"], link()))
