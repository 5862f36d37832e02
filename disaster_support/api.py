"""JSON API under /api/v1/, described by /api/v1/openapi.json.

Clients authenticate with a bearer token (a user's API token or a shelter
device's token). A browser page may use its session cookie instead, but then a
write must carry the page's CSRF token in ``X-CSRFToken``. Writes accept only
``application/json`` bodies.
"""

from flask import Blueprint, current_app, jsonify, request, url_for

from .accounts.access import access, check_api_csrf, current
from .db import get_db
from .db import write_transaction as db_transaction
from .errors import render_error
from .needs import records, situation
from .needs.views import AGE_CHOICES, parse_queue_filters
from .parameters import INT64_MAX, integer_arg, json_object, whole_number
from .patrols import rounds as patrol_rounds
from .patrols import visits as patrol_visits
from .shelters import registry
from .shelters.views import parse_filters
from .text import _l
from .vocabulary import languages, need_categories

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(check_api_csrf)

SHELTER_FIELDS = ("id", "site_id", "kind", "emergency_site", "name", "name_kana",
                  "name_romaji", "name_en", "municipality", "ward", "address", "lat", "lon",
                  "capacity", "hazards", "phone", "outside_city", "status", "evacuees",
                  "foreign_evacuees", "languages", "staff_languages", *registry.FACTS,
                  "official", "district", "location_approximate", "updated_at")


def shelter_json(shelter):
    data = {k: shelter[k] for k in SHELTER_FIELDS}
    for key in ("emergency_site", "outside_city", "official", "location_approximate"):
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
    values = json_object(request, registry.FIELD_LABELS)
    db = get_db()
    expected = values.pop("expected", None)
    if expected is not None and not isinstance(expected, dict):
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            {"expected": _l("expected: the values you saw, as a JSON object.")})
    try:
        changes = registry.update_shelter(db, shelter_id, values, actor=current().actor("api"),
                                          expected=expected)
        shelter = registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        return render_error(404, _l("There is no shelter with this ID."))
    except registry.ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    except registry.Conflict as exc:
        return _conflict(exc, {"shelter": shelter_json(exc.current)})
    return jsonify({"shelter": shelter_json(shelter),
                    "changes": [{"field": f, "old": o, "new": n} for f, o, n in changes]})


NEED_FIELDS = ("id", "client_id", "shelter_id", "shelter_name", "ward", "category", "language",
               "people", "urgency", "note", "status", "created_at", "updated_at")


def need_json(need):
    return {k: need[k] for k in NEED_FIELDS}


@bp.get("/needs")
@access("staff")
def list_needs():
    filters, errors = parse_queue_filters(request.args, current_app.extensions["city"])
    limit = integer_arg(request.args, "limit", "limit", errors, default=100, low=1, high=1000)
    offset = integer_arg(request.args, "offset", "offset", errors, default=0)
    if errors:
        return render_error(400, _l("Bad filter."), errors)
    db = get_db()
    only = current().shelters
    rows = records.list_needs(db, **filters, only=only, limit=limit, offset=offset)
    total, people = records.count_needs(db, **filters, only=only)
    return jsonify({"needs": [need_json(n) for n in rows], "count": total, "people": people})


@bp.post("/needs")
@access("staff")
def create_need():
    """Record a need. Idempotent: the same client_id returns the first need (200)."""
    values = json_object(request, records.FIELD_LABELS)
    shelter_id = values.pop("shelter_id", None)
    if not isinstance(shelter_id, str) or not current().may_see_shelter(shelter_id):
        if isinstance(shelter_id, str) and current().shelters is not None:
            return render_error(403, _l("You may record needs for your own shelter only."))
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            {"shelter_id": _l("Shelter: give the shelter's ID.")})
    try:
        need, created = records.record_need(
            get_db(), shelter_id, values, actor=current().actor("api"),
            origin="patrol" if current().patrol_team_id else "staff")
    except registry.ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    return jsonify({"need": need_json(need), "created": created}), 201 if created else 200


@bp.get("/needs/<int:need_id>")
@access("need")
def get_need(need_id):
    db = get_db()
    try:
        need = records.get_need(db, need_id)
    except records.NeedNotFound:
        return render_error(404, _l("There is no need with this ID."))
    events = [{k: e[k] for k in ("at", "actor", "via", "from_status", "to_status", "reason")}
              for e in records.need_events(db, need_id)]
    return jsonify({**need_json(need), "events": events})


@bp.patch("/needs/<int:need_id>")
@access("need")
def update_need(need_id):
    """Change the status (with ``reason`` to reopen) and/or people, urgency, note."""
    values = json_object(request, records.FIELD_LABELS)
    db = get_db()
    actor = current().actor("api")
    status = values.pop("status", None)
    reason = values.pop("reason", None)
    expected = values.pop("expected_status", None)
    try:
        with db_transaction(db):
            need, changed = records.update_need(db, need_id, values, actor=actor,
                                                only=current().shelters)
            if status is not None and (status != need["status"] or expected is not None):
                need = records.transition(db, need_id, status, actor=actor, reason=reason,
                                          only=current().shelters, expected=expected)
    except records.NeedNotFound:
        return render_error(404, _l("There is no need with this ID."))
    except registry.ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    except registry.Conflict as exc:
        return _conflict(exc, {"need": need_json(exc.current)})
    return jsonify({"need": need_json(need)})


def _conflict(exc, current_record):
    """409: changed meanwhile by someone else; the body holds the record as it is now."""
    return jsonify({"error": str(_l("Changed meanwhile by someone else: nothing was saved.")),
                    "errors": {k: str(v) for k, v in exc.errors.items()},
                    **current_record}), 409


@bp.post("/visits")
@access("signed_in")
def record_visit():
    """A visit, sent by the outbox of a team's phone (exactly once by client_id)."""
    values = json_object(request, patrol_visits.FIELD_LABELS)
    db = get_db()
    who = current()
    team_id = whole_number(values.get("team_id"))
    allowed = who.is_coordinator or (
        who.patrol_team_id is not None and who.patrol_team_id == team_id and
        who.may_see_shelter(values.get("place_id"))) or (
        who.kind == "user" and team_id in patrol_rounds.teams_of_user(db, who.user_id))
    if not allowed:
        return render_error(403, _l("This team's visits are recorded by its members and "
                                    "the coordinators."))
    try:
        visit, created = patrol_visits.record_visit(db, values, actor=who.actor("api"))
    except registry.ValidationError as exc:
        return render_error(400, _l("Some fields are not valid; nothing was saved."),
                            exc.errors)
    return jsonify({"visit": {"id": visit["id"], "place_id": visit["place_id"],
                              "at": visit["at"]}, "created": created}), 201 if created else 200


@bp.get("/situation")
@access("coordinator")
def get_situation():
    ward = request.args.get("ward") or None
    if ward and not current_app.extensions["city"].ward(ward):
        return render_error(400, _l("Bad filter."), {"ward": _l("Ward: not a ward of this city.")})
    return jsonify(situation.summary(get_db(), ward=ward))


@bp.get("/openapi.json")
@access("public")
def openapi():
    return jsonify(openapi_document())


def openapi_document():
    document = _document()
    json_error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # Every operation but this document's needs a token or a session, and the right to it
    # (a tablet sees its own shelter only; the situation is the coordinator's).
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and path != "/openapi.json":
                operation["responses"].setdefault("401", {
                    "description": "no valid token or session", "content": json_error})
                operation["responses"].setdefault("403", {
                    "description": "not allowed to this principal", "content": json_error})
    return document


def _document():
    error = {"$ref": "#/components/schemas/Error"}
    shelter = {"$ref": "#/components/schemas/Shelter"}
    text, maybe_text = {"type": "string"}, {"type": ["string", "null"]}
    tags = list(languages())

    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    def one_of(values):  # or empty, as a filter form sends it: no filter
        return {"enum": ["", *values]}

    filters = [
        query("ward", text, "ward id from the city profile"),
        query("status", one_of(registry.STATUSES), "the shelter's status"),
        query("kind", one_of(registry.KINDS), "the kind of place"),
        query("language", one_of(tags), "shelters with foreign evacuees reading it"),
        query("fact", one_of(registry.FACTS), "a facility that must be available"),
        query("q", text, "text in the name or address, or an exact ID"),
        query("sort", one_of(registry.SORTS), "the order, by name by default"),
    ]
    tri_state = {"type": ["boolean", "null"]}
    need = {"$ref": "#/components/schemas/Need"}
    need_filters = [
        query("ward", text, "ward id"), query("shelter_id", text, "shelter ID"),
        query("language", one_of(tags), "BCP 47 tag"),
        query("category", one_of(need_categories()), "need category id"),
        query("status", one_of(["active", "all", *records.STATUSES]),
              "active (default: open, matched, in_progress), all, or one status"),
        query("urgency", one_of(records.URGENCIES), "one urgency"),
        query("older_than", one_of(str(m) for m in AGE_CHOICES), "minutes"),
        query("limit", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000},
                                  {"const": ""}]}, "default (or empty) 100"),
        query("offset", {"anyOf": [{"type": "integer", "minimum": 0, "maximum": INT64_MAX},
                                   {"const": ""}]}, "default (or empty) 0"),
    ]
    urgency = {"enum": [*records.URGENCIES, "", None], "description": "empty or null: normal"}
    one_need = {"type": "object", "required": ["need"], "properties": {"need": need}}
    recorded = {"type": "object", "required": ["need", "created"],
                "properties": {"need": need, "created": {"type": "boolean"}}}
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
                        "200": {"description": "updated; the changes made", "content": {
                            "application/json": {"schema": {
                                "type": "object", "required": ["shelter", "changes"],
                                "properties": {"shelter": shelter, "changes": {
                                    "type": "array", "items": {
                                        "type": "object", "required": ["field", "old", "new"],
                                        "properties": {"field": text, "old": maybe_text,
                                                       "new": maybe_text}}}}}}}},
                        "400": {"description": "bad input, one message per field; "
                                               "nothing saved",
                                "content": {"application/json": {"schema": error}}},
                        "409": {"description": "a field in `expected` was changed meanwhile; "
                                               "nothing saved; `shelter` is the shelter now",
                                "content": {"application/json": {"schema": error}}},
                        "404": {"description": "unknown shelter"},
                        "415": {"description": "body not JSON"}}}},
            "/needs": {
                "get": {"summary": "Needs in queue order (urgency, then age); shelter staff "
                                   "see their shelters' only",
                        "parameters": need_filters,
                        "responses": {"200": {"description": "needs", "content": {
                            "application/json": {"schema": {"type": "object", "properties": {
                                "needs": {"type": "array", "items": need},
                                "count": {"type": "integer"},
                                "people": {"type": "integer"}}}}}},
                            "400": {"description": "bad filter", "content": {
                                "application/json": {"schema": error}}}}},
                "post": {"summary": "Record a need (idempotent by client_id)",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/NewNeed"}}}},
                         "responses": {
                             "201": {"description": "recorded", "content": {
                                 "application/json": {"schema": recorded}}},
                             "200": {"description": "this client_id was recorded before: "
                                                    "the first need, nothing added",
                                     "content": {"application/json": {"schema": recorded}}},
                             "400": {"description": "bad input, one message per field",
                                     "content": {"application/json": {"schema": error}}},
                             "403": {"description": "not your shelter"},
                             "415": {"description": "body not JSON"}}}},
            "/visits": {
                "post": {"summary": "Record a patrol team's visit (idempotent by client_id): "
                                    "people met by language, notices handed over, note, "
                                    "follow-up; by the team's phone, a member or a "
                                    "coordinator",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object",
                                        "required": ["client_id", "place_id", "team_id"],
                                        "properties": {
                                            "client_id": text, "place_id": text,
                                            "team_id": {"type": "integer"},
                                            "at": {"type": "string", "format": "date-time"},
                                            "languages": {"type": "object",
                                                          "additionalProperties": {
                                                              "type": "integer"}},
                                            "notices": {"type": "array",
                                                        "items": {"type": "integer"}},
                                            "note": maybe_text, "follow_up": maybe_text}}}}},
                         "responses": {
                             "201": {"description": "recorded"},
                             "200": {"description": "this client_id was recorded before"},
                             "400": {"description": "bad input, one message per field",
                                     "content": {"application/json": {"schema": error}}},
                             "403": {"description": "not this team's phone or member"}}}},
            "/needs/{need_id}": {
                "parameters": [{"name": "need_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "get": {"summary": "One need with its events", "responses": {
                    "200": {"description": "the need", "content": {
                        "application/json": {"schema": need}}},
                    "404": {"description": "unknown need"}}},
                "patch": {"summary": "Change status (reason needed to reopen), people, "
                                     "urgency or note",
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/NeedUpdate"}}}},
                          "responses": {
                              "200": {"description": "updated", "content": {
                                  "application/json": {"schema": one_need}}},
                              "400": {"description": "invalid transition or field",
                                      "content": {"application/json": {"schema": error}}},
                              "409": {"description": "the status is no longer "
                                                     "`expected_status`; nothing saved; "
                                                     "`need` is the need now",
                                      "content": {"application/json": {"schema": error}}},
                              "404": {"description": "unknown need"},
                              "415": {"description": "body not JSON"}}}},
            "/situation": {"get": {
                "summary": "Unresolved needs by language × category; foreign evacuees by "
                           "language and ward",
                "parameters": [{"name": "ward", "in": "query", "required": False,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the situation"},
                              "400": {"description": "unknown ward"}}}},
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
                              "propertyNames": {"enum": tags},
                              "additionalProperties": {"type": "integer", "minimum": 0,
                                                       "maximum": registry.MAX_PEOPLE}},
                "staff_languages": {"type": "array", "items": {"enum": tags}},
                "expected": {"type": "object", "description": "the values the client saw "
                             "(e.g. before going offline): a field changed meanwhile to "
                             "another value makes a 409 conflict"},
                **{fact: tri_state for fact in registry.FACTS}}},
            "NewNeed": {"type": "object", "additionalProperties": False,
                        "required": ["client_id", "shelter_id", "category", "language",
                                     "people"],
                        "properties": {
                            "client_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                                          "description": "made by the client; repeating it "
                                                         "never records twice"},
                            "shelter_id": {"type": "string"},
                            "category": {"enum": list(need_categories())},
                            "language": {"enum": tags},
                            "people": {"type": "integer", "minimum": 1,
                                       "maximum": records.MAX_PEOPLE},
                            "urgency": urgency,
                            "note": {"type": ["string", "null"], "maxLength": records.MAX_NOTE,
                                     "description": "no names or contact details"},
                            "confirm_personal": {"type": "boolean"}}},
            "NeedUpdate": {"type": "object", "additionalProperties": False, "properties": {
                "status": {"enum": list(records.STATUSES)},
                "expected_status": {"enum": list(records.STATUSES), "description": "the status "
                                    "the client saw: another one now makes a 409 conflict; "
                                    "already `status` (a retry) changes nothing"},
                "reason": {"type": "string", "maxLength": records.MAX_REASON},
                "people": {"type": "integer", "minimum": 1, "maximum": records.MAX_PEOPLE},
                "urgency": urgency,
                "note": {"type": ["string", "null"], "maxLength": records.MAX_NOTE},
                "confirm_personal": {"type": "boolean"}}},
            "Need": {"type": "object", "required": list(NEED_FIELDS), "properties": {
                "id": {"type": "integer"}, "client_id": text, "shelter_id": text,
                "shelter_name": text, "ward": maybe_text, "category": text, "language": text,
                "people": {"type": "integer"}, "urgency": {"enum": list(records.URGENCIES)},
                "note": maybe_text, "status": {"enum": list(records.STATUSES)},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "events": {"type": "array", "description": "GET /needs/{need_id} only",
                           "items": {"type": "object"}}}},
            "Shelter": {"type": "object", "required": [*SHELTER_FIELDS, "url"], "properties": {
                "id": text, "site_id": maybe_text, "kind": {"enum": list(registry.KINDS)},
                "emergency_site": {"type": "boolean"}, "name": text, "name_kana": maybe_text,
                "name_romaji": maybe_text, "name_en": maybe_text,
                "municipality": maybe_text, "ward": maybe_text,
                "address": maybe_text, "lat": {"type": ["number", "null"]},
                "lon": {"type": ["number", "null"]}, "capacity": {"type": ["integer", "null"]},
                "hazards": {"type": "array", "items": {"enum": list(registry.HAZARDS)}},
                "phone": maybe_text, "outside_city": {"type": "boolean"},
                "status": {"enum": list(registry.STATUSES)}, "evacuees": {"type": "integer"},
                "foreign_evacuees": {"type": "integer"},
                "languages": {"type": "object", "additionalProperties": {"type": "integer"}},
                "staff_languages": {"type": "array", "items": text},
                **{fact: tri_state for fact in registry.FACTS},
                "official": {"type": "boolean", "description": "on the city's official list "
                             "(false: a place the center added)"},
                "district": maybe_text, "location_approximate": {"type": "boolean"},
                "updated_at": maybe_text, "url": text}},
        }},
    }
