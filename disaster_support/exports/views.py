"""/exports/: HXL-tagged CSV tables, plain or for spreadsheets (UTF-8 with BOM)."""

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..accounts.access import access
from ..db import NOW, get_db
from . import hxl

bp = Blueprint("exports", __name__)


@bp.get("/exports")
@access("coordinator")
def index():
    return render_template("exports/index.html", tables=hxl.TABLES)


@bp.get("/exports/<name>.csv")
@access("coordinator")
def table(name):
    db, city = get_db(), current_app.extensions["city"]
    if name == "shelters":
        result = hxl.shelters(db, city)
    elif name == "places":
        result = hxl.shelters(db, city, official=False)
    elif name == "needs":
        result = hxl.needs(db, city, NOW())
    elif name == "volunteer-coverage":
        result = hxl.volunteer_coverage(db)
    else:
        abort(404)
    excel = request.args.get("excel") == "1"
    filename = f"{name}{'-excel' if excel else ''}.csv"
    return Response(hxl.to_csv(result, excel=excel), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={filename}"})
