"""The front page: the situation at a glance, and where to go next."""

from functools import cache
from importlib import metadata

from flask import Blueprint, current_app, redirect, render_template, url_for

from .accounts.access import access, current
from .attention import action_summary
from .db import get_db
from .maps.assets import installed
from .shelters import registry
from .volunteers.assignments import volunteer_of_user

bp = Blueprint("home", __name__)


@bp.get("/")
@access("signed_in")
def index():
    principal = current()
    if principal.role == "volunteer":
        if volunteer_of_user(get_db(), principal.user_id):
            return redirect(url_for("volunteers.me"))
        return redirect(url_for("accounts.account"))
    if not principal.is_coordinator:
        # Shelter staff and tablets start at their own shelter.
        if principal.shelters and len(principal.shelters) == 1:
            return redirect(url_for("needs.tablet", shelter_id=next(iter(principal.shelters))))
        return redirect(url_for("shelters.index"))
    db = get_db()
    return render_template(
        "index.html",
        attention=action_summary(db, counted_hours=current_app.config.get("HEADCOUNT_HOURS", 6)),
        totals=registry.count_shelters(db),
        by_language=registry.foreign_evacuees_by_language(db),
        busiest=registry.list_shelters(db, status="open", sort="occupancy", limit=10),
        city=current_app.extensions["city"],
    )


@bp.get("/about")
@access("public")
def about():
    return render_template("about.html", city=current_app.extensions["city"],
                           map_libraries=installed(), tiles=current_app.extensions.get("tiles"),
                           folium_version=_version("folium"))


@cache
def _version(package):
    # read from the installed package's metadata files: once per process (an upgrade
    # restarts the server)
    return metadata.version(package)


@bp.get("/healthz")
@access("public")
def healthz():
    """A trivial answer: for monitoring, and the ceiling in benchmarks."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
