"""/intake: the city's evacuation information in one form; JMA reports read in."""

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts.access import access, current
from ..db import get_db
from ..drills.runs import active_drill
from ..i18n import chosen_language
from ..notices import records as notices
from ..notices.render import format_slot, render
from ..notices.templates import official_terms
from ..shelters import registry
from ..shelters.places import PUBLIC_KINDS
from ..shelters.registry import ValidationError
from . import evacuation, jma

bp = Blueprint("intake", __name__, url_prefix="/intake")


def _page(errors=None, form=None, status=200):
    db = get_db()
    city = current_app.extensions["city"]
    tag = chosen_language()
    orders = evacuation.current_orders(db) + evacuation.recent_orders(db, limit=10)
    reports = jma.recent_reports(db)
    shown = [notices.get_notice(db, i) for i in {o["notice_id"] for o in orders}
             | {r["notice_id"] for r in reports if r["notice_id"]}]
    names = notices.names_for(db, shown) | notices.ward_names(city)
    titles = {n["id"]: render(n, tag, names).title for n in shown}
    states = {n["id"]: n["state"] for n in shown}
    names.update(notices.shelter_names(db, {a[len("shelter:"):] for o in orders
                                            for a in o["areas"] if a.startswith("shelter:")}))
    area_names = {o["id"]: format_slot("areas", ";".join(o["areas"]), tag, names)
                  for o in orders}
    hazards = {code: names_.get(tag) or names_["en"]
               for code, names_ in official_terms()["hazards"].items()}
    shelters = [s for s in registry.list_shelters(db, kind=None, sort="name")
                if s["kind"] in PUBLIC_KINDS]
    return render_template(
        "intake/index.html", errors=errors or {}, form=form or {},
        client_id=uuid.uuid4().hex, levels=evacuation.LEVEL_LABELS, hazards=hazards,
        choices=evacuation.area_choices(db, city), shelters=shelters, orders=orders,
        reports=reports, titles=titles, states=states, area_names=area_names,
        notice_states=notices.STATES, kinds=jma.KIND_LABELS,
        chosen=set((form or {}).get("areas", [])) | set((form or {}).get("places", [])),
        drill=active_drill(current_app) is not None), status


@bp.get("/")
@access("coordinator")
def index():
    return _page()


@bp.post("/evacuations")
@access("coordinator")
def issue():
    form = {"client_id": request.form.get("client_id"), "level": request.form.get("level"),
            "hazard": request.form.get("hazard"), "areas": request.form.getlist("areas"),
            "places": request.form.getlist("places"), "note": request.form.get("note", "")}
    try:
        order, created = evacuation.issue(get_db(), form, current_app.extensions["city"],
                                          actor=current().actor("form"))
    except ValidationError as exc:
        return _page(errors=exc.errors, form=form, status=400)
    if created:
        flash(_("Announced: the notice is on the boards of the area now, in every "
                "language."), "success")
    else:
        flash(_("This announcement was already made (the form was sent twice); nothing "
                "new was published."), "info")
    return redirect(url_for("intake.index", _anchor=f"order-{order['id']}")), 303


@bp.post("/evacuations/<int:order_id>/lift")
@access("coordinator")
def lift(order_id):
    try:
        order, lifted = evacuation.lift(get_db(), order_id, current_app.extensions["city"],
                                        actor=current().actor("form"),
                                        note=request.form.get("note", ""))
    except evacuation.OrderNotFound:
        abort(404)
    except ValidationError as exc:
        return _page(errors=exc.errors, status=400)
    if lifted:
        flash(_("Lifted: the order's notice is withdrawn, and the same boards say it was "
                "lifted."), "success")
    else:
        flash(_("This order had already ended; nothing changed."), "info")
    return redirect(url_for("intake.index", _anchor=f"order-{order['id']}")), 303


@bp.post("/jma")
@access("coordinator")
def jma_upload():
    uploads = [f for f in request.files.getlist("report") if f and f.filename]
    if not uploads:
        return _page(errors={"report": _("Choose one or more JMA XML files.")}, status=400)
    db, city = get_db(), current_app.extensions["city"]
    exercise = active_drill(current_app) is not None
    for upload in uploads:
        try:
            outcome, row = jma.import_report(db, upload.read(), city, exercise=exercise,
                                             actor=current().actor("form"),
                                             origin=f"upload:{upload.filename}")
        except jma.JmaError as exc:
            for message in exc.errors.values():
                flash(_("%(file)s: %(problem)s", file=upload.filename, problem=message),
                      "error")
            continue
        flash(_("%(file)s: %(outcome)s", file=upload.filename,
                outcome=jma.OUTCOME_LABELS[outcome]),
              "success" if outcome in ("created", "updated") else "info")
    return redirect(url_for("intake.index", _anchor="reports")), 303
