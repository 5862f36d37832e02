"""JSON API under /api/v1/, described by /api/v1/openapi.json.

Clients authenticate with a bearer token (a user's API token or a shelter
device's token). A browser page may use its session cookie instead, but then a
write must carry the page's CSRF token in ``X-CSRFToken``. Writes accept only
``application/json`` bodies.
"""

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from .accounts.access import access, check_api_csrf, current
from .db import get_db
from .errors import render_error
from .shelters import registry
from .shelters.views import parse_filters

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(check_api_csrf)

SHELTER_FIELDS = ("id", "site_id", "kind", "emergency_site", "name", "name_kana", "name_en",
                  "municipality", "ward", "address", "lat", "lon", "capacity", "hazards",
                  "phone", "outside_city", "status", "evacuees", "foreign_evacuees",
                  "languages", "staff_languages", *registry.FACTS, "updated_at")


def shelter_json(shelter):
    data = {k: shelter[k] for k in SHELTER_FIELDS}
    for key in ("emergency_site", "outside_city"):
        data[key] = bool(data[key])
    for fact in registry.FACTS:
        data[fact] = None if data[fact] is None else bool(data[fact])
    data["url"] = url_for("shelters.detail", shelter_id=shelter["id"], _external=False)
    return data


@bp.get("/shelters")
@access("staff")
def list_shelters():
    filters, errors = parse_filters(request.args, current_app.extensions["city"])
    if errors:
        return render_error(400, _l("Bad filter."), errors)
    rows = registry.list_shelters(get_db(), **filters, only=current().shelters)
    return jsonify({"shelters": [shelter_json(r) for r in rows], "count": len(rows)})


@bp.get("/shelters/<shelter_id>")
@access("shelter")
def get_shelter(shelter_id):
    try:
        return jsonify(shelter_json(registry.get_shelter(get_db(), shelter_id)))
    except registry.ShelterNotFound:
        return render_error(404, _l("There is no shelter with this ID."))


@bp.patch("/shelters/<shelter_id>")
@access("shelter")
def update_shelter(shelter_id):
    if not request.is_json:
        return render_error(415, _l("Send the body as JSON (Content-Type: application/json)."))
    values = request.get_json(silent=True)
    if not isinstance(values, dict):
        return render_error(400, _l("The body must be a JSON object."))
    db = get_db()
    try:
        changes = registry.update_shelter(db, shelter_id, values, actor=current().actor("api"))
        shelter = registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        return render_error(404, _l("There is no shelter with this ID."))
    except registry.ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    return jsonify({"shelter": shelter_json(shelter),
                    "changes": [{"field": f, "old": o, "new": n} for f, o, n in changes]})


@bp.get("/openapi.json")
@access("public")
def openapi():
    return jsonify(openapi_document())


def openapi_document():
    error = {"$ref": "#/components/schemas/Error"}
    shelter = {"$ref": "#/components/schemas/Shelter"}
    filters = [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"},
         "description": d}
        for n, d in (("ward", "ward id from the city profile"),
                     ("status", "preparing | open | full | closed"),
                     ("kind", "designated_shelter | welfare_shelter | emergency_site"),
                     ("language", "BCP 47 tag: shelters with foreign evacuees reading it"),
                     ("fact", "a facility that must be available, e.g. food_halal"),
                     ("q", "text in the name or address, or an exact ID"),
                     ("sort", "name | ward | occupancy | evacuees"))
    ]
    tri_state = {"type": ["boolean", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "disaster_support API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/shelters": {"get": {
                "summary": "List shelters", "parameters": filters,
                "responses": {"200": {"description": "shelters", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "shelters": {"type": "array", "items": shelter},
                        "count": {"type": "integer"}}}}}},
                    "400": {"description": "bad filter", "content": {
                        "application/json": {"schema": error}}}}}},
            "/shelters/{shelter_id}": {
                "parameters": [{"name": "shelter_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "get": {"summary": "One shelter", "responses": {
                    "200": {"description": "the shelter", "content": {
                        "application/json": {"schema": shelter}}},
                    "404": {"description": "unknown shelter", "content": {
                        "application/json": {"schema": error}}}}},
                "patch": {
                    "summary": "Update status, capacity, head counts and facilities",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ShelterUpdate"}}}},
                    "responses": {
                        "200": {"description": "updated; the changes made"},
                        "400": {"description": "bad input, one message per field; "
                                               "nothing saved",
                                "content": {"application/json": {"schema": error}}},
                        "404": {"description": "unknown shelter"},
                        "415": {"description": "body not JSON"}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI"}}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "message per field, in the user's language"}}},
            "ShelterUpdate": {"type": "object", "additionalProperties": False, "properties": {
                "status": {"enum": list(registry.STATUSES)},
                "capacity": {"type": ["integer", "null"], "minimum": 0,
                             "maximum": registry.MAX_PEOPLE},
                "evacuees": {"type": "integer", "minimum": 0, "maximum": registry.MAX_PEOPLE},
                "languages": {"type": "object", "description": "people per BCP 47 tag; "
                              "replaces all counts",
                              "additionalProperties": {"type": "integer", "minimum": 0}},
                "staff_languages": {"type": "array", "items": {"type": "string"}},
                **{fact: tri_state for fact in registry.FACTS}}},
            "Shelter": {"type": "object", "properties": {
                **{k: {} for k in SHELTER_FIELDS}, "url": {"type": "string"}}},
        }},
    }
