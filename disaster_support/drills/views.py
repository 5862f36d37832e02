"""Drill pages: the facilitator's (start, deliver, end), the after-action report."""

import json

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from ..accounts.access import access
from ..db import NOW, get_db
from ..formatting import label_of_category, language_name
from ..spreadsheet import BOM, csv_text
from . import runs
from .report import BANNER, banner_row, build_report, compare, report_csv, timeline_svg_data
from .scenarios import SPEEDS, ScenarioError, list_scenarios

bp = Blueprint("drills", __name__)


def init_app(app):
    @app.before_request
    def deliver_due_injects():
        """During a drill, each request first delivers the injects whose time has come
        (dated when they were due): no background thread to keep alive."""
        if runs.active_drill(app) and request.endpoint not in (None, "static", "maps.vendor",
                                                                "maps.tile"):
            runs.deliver_due(get_db())

    @app.after_request
    def mark_exports(response):
        """Exports made during a drill say so: a first line in CSV files, a header
        in every answer (the API's too)."""
        drill = runs.active_drill(app)
        if drill:
            response.headers["X-Drill"] = drill["id"]
            if response.mimetype == "text/csv" and not response.direct_passthrough:
                text = response.get_data(as_text=True)
                body = text.removeprefix(BOM)
                if BANNER not in body.partition("\n")[0]:  # a drill report has its own
                    bom = BOM if text.startswith(BOM) else ""
                    response.set_data(bom + csv_text([banner_row(drill["id"])]) + body)
        return response

    @app.context_processor
    def drill_banner():
        drill = runs.active_drill(app)
        if not drill:
            return {"drill": None}
        db = get_db()
        return {"drill": {**drill, "minute": int(runs.minute_at(runs.info(db), NOW())),
                          "latest": runs.latest_message(db)}}


def _message(inject):
    return json.loads(inject["spec"]).get("message", {})


@bp.get("/drills")
@access("admin")
def index():
    app = current_app
    drill = runs.active_drill(app)
    state = pending = delivered = None
    if drill:
        db = get_db()
        state = runs.info(db)
        pending, delivered = runs.pending(db), runs.delivered(db)
    try:
        scenarios = list_scenarios(app.config["CITY_DIR"])
        problem = None
    except ScenarioError as error:
        scenarios, problem = [], str(error)
    return render_template("drills/index.html", active=drill, state=state, pending=pending,
                           delivered=delivered, scenarios=scenarios, problem=problem,
                           archived=runs.archived(app), speeds=SPEEDS, message_of=_message,
                           now_minute=runs.minute_at(state, NOW()) if state else None)


@bp.post("/drills/start")
@access("admin")
def start():
    try:
        drill_id = runs.start(current_app, request.form.get("scenario", ""),
                              request.form.get("speed", "fast"))
    except (runs.DrillError, ScenarioError) as error:
        flash(str(error), "error")
        return redirect(url_for("drills.index")), 303
    flash(_("Drill %(id)s started: every page now shows the drill, and live data is not "
            "touched.", id=drill_id), "success")
    return redirect(url_for("drills.index")), 303


@bp.post("/drills/next")
@access("admin")
def deliver_next():
    if not runs.active_drill(current_app):
        abort(404)
    inject = runs.deliver_next(get_db())
    if inject is None:
        flash(_("Every inject has been delivered."), "info")
    return redirect(url_for("drills.index")), 303


@bp.post("/drills/end")
@access("admin")
def end():
    try:
        report = runs.end(current_app)
    except runs.DrillError as error:
        flash(str(error), "error")
        return redirect(url_for("drills.index")), 303
    flash(_("The drill has ended: live data is back."), "success")
    return redirect(url_for("drills.report", drill_id=report["drill"]["id"])), 303


def _report_or_404(drill_id):
    drill = runs.active_drill(current_app)
    if drill and drill["id"] == drill_id:
        return build_report(get_db())  # the running drill, so far
    report = runs.archived_report(current_app, drill_id)
    if report is None:
        abort(404)
    return report


@bp.get("/drills/<drill_id>/report")
@access("coordinator")
def report(drill_id):
    result = _report_or_404(drill_id)
    earlier_reports = [r for r in runs.archived(current_app)
                       if r["drill"]["scenario"] == result["drill"]["scenario"]
                       and r["drill"]["id"] != drill_id]
    chosen = request.args.get("compare")
    earlier = next((r for r in earlier_reports if r["drill"]["id"] == chosen), None)
    if earlier is None and not chosen:
        earlier = next((r for r in earlier_reports
                        if r["drill"]["started_at"] < result["drill"]["started_at"]), None)
    return render_template(
        "drills/report.html", report=result, chart=timeline_svg_data(result),
        earlier=earlier, earlier_reports=earlier_reports,
        comparison=compare(result, earlier) if earlier else None,
        category_label=label_of_category, language_name=language_name)


@bp.get("/drills/<drill_id>/report.csv")
@access("coordinator")
def report_as_csv(drill_id):
    result = _report_or_404(drill_id)
    return Response(report_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=drill-{drill_id}.csv"})
