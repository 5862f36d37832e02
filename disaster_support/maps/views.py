"""Map pages (the coordinator's, the public one), base map tiles, map libraries."""

import json

from flask import (Blueprint, abort, current_app, render_template, request, send_from_directory,
                   url_for)
from flask_babel import gettext as _
from markupsafe import Markup

from ..accounts.access import access
from ..db import get_db
from ..formatting import label_of_category, language_label_text
from ..i18n import chosen_language
from ..live import feed
from ..needs.records import URGENCIES
from ..notices.views import board_language
from ..shelters.registry import KINDS, STATUSES
from ..vocabulary import languages, need_categories
from . import assets, layers
from .build import build_map
from .tiles import EMPTY_PNG, TilesError, open_tileset

bp = Blueprint("maps", __name__)
YEAR = 365 * 24 * 3600


def init_app(app):
    """Open the configured tile set once; a broken one leaves the maps without tiles
    and says why on the coordinator's map, rather than stopping the app."""
    try:
        app.extensions["tiles"] = open_tileset(app.config.get("TILES"))
        app.extensions["tiles_error"] = None
    except TilesError as error:
        app.extensions["tiles"] = None
        app.extensions["tiles_error"] = error
        with app.app_context():
            app.logger.warning("%s", error)


def json_for_html(data):
    """Compact JSON for a <script type="application/json"> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _labels(tag, public=False):
    labels = {
        "base_map": _("Base map"),
        "wards": _("Ward boundaries"),
        "shelters": _("Shelters"),
        "statuses": {k: str(v) for k, v in STATUSES.items()},
        "alt_lang": "ja" if tag == "ja-x-easy" else "en",
    }
    if public:
        labels["board"] = _("Notices for this shelter")
        labels["address"] = _("Address")
        labels["no_position"] = _("Your position could not be found.")
        return labels
    return {
        **labels,
        "needs": _("Unmet needs"),
        "volunteers": _("Volunteers checked in"),
        "evacuees": _("Evacuees"),
        "foreign": _("Foreign evacuees"),
        "no_unmet_needs": _("No unmet needs"),
        "critical": str(URGENCIES["critical"]),
        "language": _("Language"),
        "what": _("What is needed"),
        "count": _("Needs"),
        "people": _("Number of people"),
        "shelter_page": _("Open the shelter page"),
        "center": _("the disaster prevention center"),
        "languages": {t: language_label_text(t) for t in languages()},
        "categories": {c: label_of_category(c) for c in need_categories()},
        "kinds": {k: str(v) for k, v in KINDS.items()},
        "approximate": _("Position approximate: the centre of the ward"),
    }


def _tile_layer():
    tiles = current_app.extensions.get("tiles")
    if tiles is None:
        return None, None
    # Leaflet fills in {z}/{x}/{y}; url_for would escape the braces.
    return tiles, url_for("maps.tile", z=0, x=0, y=0).replace("/0/0/0.png", "/{z}/{x}/{y}.png")


def _page_map(kind, tag, labels, fit_city=True):
    """folium's part of the page: the same for every request in one language (the
    data changes, not the map), so it is built once per kind and language."""
    built = current_app.extensions.setdefault("maps_built", {})
    key = (kind, tag, request.script_root, fit_city)
    if key not in built:
        tiles, tile_url = _tile_layer()
        built[key] = build_map(kind, city=current_app.extensions["city"], tag=tag,
                               labels=labels, tiles=tiles, tile_url=tile_url,
                               fit_city=fit_city)
    return built[key]


LAYERS_KEPT = 64  # (data version, language) pairs: a few languages, a few versions


def _kept(db, kind, tag, compute):
    """A map's layers computed once per version of the data: every write to needs
    and shelters is in the change feed, and reading them is most of a map's time
    at city scale."""
    store = current_app.extensions.setdefault("map_layers", {})
    return feed.kept(store, db, (kind, tag), compute, LAYERS_KEPT)


def _layers_json(found, *more):
    """Layers as JSON (kept: encoding them is the next largest cost), their number of
    places, and what else is kept with them."""
    return (json_for_html(found), len(found["shelters"]), *more)


def _joined(kept_json, more):
    """One JSON object of a kept one and a few more members."""
    return Markup(kept_json[:-1] + "," + json_for_html(more)[1:])


def place_map(shelters):
    """A small map of where to go (the volunteer's page): the public map's skeleton, its
    data only ``shelters`` (rows as the registry reads them), its view on them
    (static/js/map.js fits it to ``focus``). (map, data) for the page, or None when
    none of them has coordinates."""
    tag = chosen_language()
    data = layers.place_layers(shelters, tag)
    if not data["shelters"]:
        return None
    labels = _labels(tag, public=True)
    data.update(focus=[[row[1], row[2]] for row in data["shelters"]], labels=labels,
                attribution=current_app.extensions["city"].attribution,
                urls={"board": url_for("notices.board", shelter_id="__ID__", lang=tag)})
    return _page_map("public", tag, labels, fit_city=False), json_for_html(data)


@bp.get("/map")
@access("coordinator")
def coordinator_map():
    db = get_db()
    tag = chosen_language()
    city = current_app.extensions["city"]
    labels = _labels(tag)
    rendered = _page_map("coordinator", tag, labels)
    language = request.args.get("language")
    if language not in languages():
        language = None
    shelter_layers, places, need_languages = _kept(db, "coordinator", tag, lambda: _layers_json(
        layers.coordinator_layers(db, tag), layers.need_languages(db)))
    data = _joined(shelter_layers, {
        # kept too: a volunteer's languages are written only with their row, which is
        # in the change feed (added, changed, checked in, contacts purged)
        "volunteers": _kept(db, "volunteers", None, lambda: layers.volunteer_layer(
            db, city.coordination_center)),
        "labels": labels,
        "attribution": city.attribution,
        "urls": {"shelter": url_for("shelters.detail", shelter_id="__ID__"),
                 "volunteer": url_for("volunteers.detail", volunteer_id=0).replace(
                     "/0", "/__ID__")},
    })
    return render_template(
        "maps/map.html", map=rendered, data=data, language=language,
        need_languages=need_languages, shelters=places,
        tiles_error=current_app.extensions.get("tiles_error"), statuses=STATUSES)


@bp.get("/board/map")
@access("public")
def public_map():
    tag = board_language()
    city = current_app.extensions["city"]
    labels = _labels(tag, public=True)
    rendered = _page_map("public", tag, labels)
    db = get_db()

    def public_layers():
        found = layers.public_layers(db, tag)
        return _layers_json(found, layers.open_shelters(found))

    public, _, open_shelters = _kept(db, "public", tag, public_layers)
    data = _joined(public, {
        "labels": labels,
        "attribution": city.attribution,
        "urls": {"board": url_for("notices.board", shelter_id="__ID__", lang=tag)},
    })
    return render_template("maps/board_map.html", map=rendered, data=data,
                           tag=tag, languages=languages(), statuses=STATUSES,
                           open_shelters=open_shelters)


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.png")
@access("public")
def tile(z, x, y):
    tiles = current_app.extensions.get("tiles")
    if tiles is None or not 0 <= z <= 22 or not (0 <= x < 1 << z and 0 <= y < 1 << z):
        abort(404)
    data = tiles.tile(z, x, y)
    response = current_app.response_class(data or EMPTY_PNG,
                                          mimetype=tiles.media_type if data else "image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    return response


@bp.get("/vendor/<library>/<version>/<path:filename>")
@access("public")
def vendor(library, version, filename):
    """Leaflet and plugins from their xstatic packages; the version is in the URL,
    so the files are cached for a year."""
    found = assets.LIBRARIES.get(library)
    if found is None or version != found.version:
        abort(404)
    return send_from_directory(found.folder, filename, max_age=YEAR)
