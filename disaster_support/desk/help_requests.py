"""Asking beyond the city for interpreters and translators (Miyazaki had no Nepali
speaker; Fukuoka's center takes such requests by FAX or e-mail), and receiving such a
request from a partner city.

A request names the languages, how many people, the skills, where, from when to when,
and the contact at the center; its status runs drafted → sent → acknowledged →
partly filled / filled, or cancelled. It prints as a one-page form and travels as an
XML file modelled on OASIS EDXL-RM 1.0 RequestResource (the mapping is in
docs/adapting.md): importing such a file lists what this city could send. When the
interpreters arrive, their volunteer records and accounts (ending with the request)
are made in one step and the request counts them.
"""

import json
import secrets
import xml.etree.ElementTree as ET

from ..accounts import users
from ..audit.log import record
from ..db import to_utc, utcnow, write_transaction
from ..parameters import choice, whole_number
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import languages, skills
from ..volunteers import registry as volunteers

STATUSES = {
    "drafted": _l("Drafted"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged"),
    "partly_filled": _l("Partly filled"),
    "filled": _l("Filled"),
    "cancelled": _l("Cancelled"),
}
FIELD_LABELS = {
    "partner": _l("Asked of"),
    "languages": _l("Languages"),
    "people": _l("How many people"),
    "skills": _l("Skills"),
    "place": _l("Where they are needed"),
    "starts_at": _l("From"),
    "ends_at": _l("Until"),
    "contact": _l("Contact at the center"),
    "note": _l("Note"),
    "status": _l("Status"),
    "file": _l("Request file (EDXL-RM XML)"),
    "arrivals": _l("Who arrived"),
}
MSG = "urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg"
RM = "urn:oasis:names:tc:emergency:EDXL:RM:1.0"
LANGUAGE_LIST = "urn:ietf:bcp:47"  # the value list of a resource's language keyword
SKILL_LIST = "urn:disaster-support:skills"
RESOURCE_TYPE = ("urn:disaster-support:resource-types", "interpreter")
MAX_FILE = 200_000


class RequestNotFound(LookupError):
    pass


def _line(values, field, errors, limit=200, required=True):
    raw = values.get(field)
    if raw is not None and not isinstance(raw, str):
        errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
        return None
    value = " ".join((raw or "").split())
    if required and not value:
        errors[field] = _l("%(field)s: required.", field=FIELD_LABELS[field])
    elif len(value) > limit:
        errors[field] = _l("%(field)s: at most %(max)s characters.",
                           field=FIELD_LABELS[field], max=limit)
    return value or None


def parse_request(values):
    errors, clean = {}, {}
    tags = values.get("languages") or []
    tags = [tags] if isinstance(tags, str) else tags
    if not tags or any(not choice(t, languages()) for t in tags):
        errors["languages"] = _l("%(field)s: choose one or more of the listed languages.",
                                 field=FIELD_LABELS["languages"])
    clean["languages"] = [t for t in languages() if t in tags]
    people = whole_number(values.get("people"))
    if people is None or not 1 <= people <= 200:
        errors["people"] = _l("%(field)s: a whole number from 1 to 200.",
                              field=FIELD_LABELS["people"])
    clean["people"] = people
    wanted = values.get("skills") or []
    wanted = [wanted] if isinstance(wanted, str) else wanted
    if any(s not in skills() for s in wanted):
        errors["skills"] = _l("%(field)s: choose from the list.", field=FIELD_LABELS["skills"])
    clean["skills"] = [s for s in skills() if s in wanted]
    for field in ("partner", "place", "contact"):
        clean[field] = _line(values, field, errors)
    clean["note"] = _line(values, "note", errors, limit=1000, required=False)
    for field in ("starts_at", "ends_at"):
        try:
            clean[field] = to_utc(str(values.get(field) or ""))
        except ValueError:
            errors[field] = _l("%(field)s: a date and time such as 2026-12-03T09:00.",
                               field=FIELD_LABELS[field])
    if not {"starts_at", "ends_at"} & set(errors) and clean["ends_at"] <= clean["starts_at"]:
        errors["ends_at"] = _l("%(field)s: after the start.", field=FIELD_LABELS["ends_at"])
    if errors:
        raise ValidationError(errors)
    return clean


def create_request(db, values, *, actor, direction="sent", message_id=None):
    clean = parse_request(values)
    now = utcnow()
    with write_transaction(db):
        if message_id and db.execute("SELECT 1 FROM help_request WHERE message_id = ?",
                                     [message_id]).fetchone():
            raise ValidationError({"file": _l("%(field)s: this request was imported before.",
                                              field=FIELD_LABELS["file"])})
        request_id = db.execute(
            "INSERT INTO help_request (direction, message_id, partner, languages, people, "
            "skills, place, starts_at, ends_at, contact, note, status, created_at, "
            "created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [direction, message_id or f"urn:uuid:{secrets.token_hex(16)}", clean["partner"],
             json.dumps(clean["languages"]), clean["people"], json.dumps(clean["skills"]),
             clean["place"], clean["starts_at"], clean["ends_at"], clean["contact"],
             clean["note"], "drafted" if direction == "sent" else "sent", now, actor.name,
             now]).lastrowid
        record(db, actor, "create", "help_request", request_id, at=now,
               after={k: v for k, v in clean.items() if k != "note"} | {"direction": direction})
    return request_id


def get_request(db, request_id):
    rows = list(db.query("SELECT * FROM help_request WHERE id = ?", [request_id]))
    if not rows:
        raise RequestNotFound(request_id)
    row = dict(rows[0])
    row["languages"] = json.loads(row["languages"])
    row["skills"] = json.loads(row["skills"])
    row["arrived"] = [dict(r) for r in db.query(
        "SELECT v.id, v.name FROM help_arrival a JOIN volunteer v ON v.id = a.volunteer_id "
        "WHERE a.request_id = ? ORDER BY v.id", [request_id])]
    return row


def list_requests(db, limit=50):
    return [get_request(db, r[0]) for r in db.execute(
        "SELECT id FROM help_request ORDER BY status IN ('filled', 'cancelled'), id DESC "
        "LIMIT ?", [limit])]


def set_status(db, request_id, status, *, actor):
    if not choice(status, ("sent", "acknowledged", "cancelled")):
        raise ValidationError({"status": _l("%(field)s: choose one of the list.",
                                            field=FIELD_LABELS["status"])})
    with write_transaction(db):
        current = get_request(db, request_id)
        db.execute("UPDATE help_request SET status = ?, updated_at = ? WHERE id = ?",
                   [status, utcnow(), request_id])
        record(db, actor, "update", "help_request", request_id,
               before={"status": current["status"]}, after={"status": status})


def arrivals(db, request_id, rows, *, actor, wards):
    """The interpreters who came: a volunteer record and an account each (role
    volunteer, ending when the request ends), in one transaction. ``rows``: dicts of
    name, language, level, phone (optional). Returns [(name, username, password)]."""
    request = get_request(db, request_id)
    if request["direction"] != "sent":
        raise ValidationError({"arrivals": _l("%(field)s: only for a request this city sent.",
                                              field=FIELD_LABELS["arrivals"])})
    rows = [r for r in rows if (r.get("name") or "").strip()]
    if not rows:
        raise ValidationError({"arrivals": _l("%(field)s: give at least one name.",
                                              field=FIELD_LABELS["arrivals"])})
    made = []
    with write_transaction(db):
        for row in rows:
            spoken = {row.get("language") or request["languages"][0]:
                      row.get("level") or "native"}
            volunteer_id = volunteers.create_volunteer(db, {
                "name": row["name"], "phone": row.get("phone") or "",
                "consent_date": utcnow()[:10], "languages": spoken,
                "skills": request["skills"] or ["interpretation"],
                "note": f"{request['partner']} (#{request_id})"}, actor=actor, wards=wards)
            username = f"help{request_id}-{volunteer_id}"
            password = users.new_password()
            user_id = users.create_user(db, username, "volunteer", password, actor=actor,
                                        must_change=False, expires_at=request["ends_at"])
            db.execute("UPDATE volunteer SET user_id = ? WHERE id = ?", [user_id, volunteer_id])
            db.execute("INSERT INTO help_arrival (request_id, volunteer_id) VALUES (?, ?)",
                       [request_id, volunteer_id])
            made.append((row["name"], username, password))
        filled = db.execute("SELECT count(*) FROM help_arrival WHERE request_id = ?",
                            [request_id]).fetchone()[0]
        status = "filled" if filled >= request["people"] else "partly_filled"
        db.execute("UPDATE help_request SET filled = ?, status = ?, updated_at = ? WHERE id = ?",
                   [filled, status, utcnow(), request_id])
        record(db, actor, "update", "help_request", request_id,
               before={"status": request["status"]}, after={"status": status, "filled": filled})
    return made


# --- EDXL-RM ---------------------------------------------------------------------

def _sub(parent, namespace, name, text=None):
    element = ET.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def to_edxl(request, city_name):
    """The request as an EDXL-RM 1.0 RequestResource message (bytes): one
    ResourceInformation per language, each with the number of people, the skills as
    keywords, and the requested arrival and return with the place."""
    ET.register_namespace("", MSG)
    ET.register_namespace("rm", RM)
    root = ET.Element(f"{{{MSG}}}RequestResource")
    _sub(root, MSG, "MessageID", request["message_id"])
    _sub(root, MSG, "SentDateTime", request["updated_at"])
    _sub(root, MSG, "MessageContentType", "RequestResource")
    _sub(root, MSG, "MessageDescription",
         f"{city_name}: interpreters ({', '.join(request['languages'])})")
    contact = _sub(root, MSG, "ContactInformation")
    _sub(contact, RM, "ContactDescription", request["contact"])
    _sub(contact, RM, "ContactRole", "Requester")
    partner = _sub(root, MSG, "ContactInformation")
    _sub(partner, RM, "ContactDescription", request["partner"])
    _sub(partner, RM, "ContactRole", "Sender" if request["direction"] == "received" else
         "Approver")
    for number, tag in enumerate(request["languages"], 1):
        info = _sub(root, MSG, "ResourceInformation")
        _sub(info, RM, "ResourceInfoElementID", str(number))
        resource = _sub(info, MSG, "Resource")
        _sub(resource, RM, "Name", f"Interpreter: {tag}")
        kind = _sub(resource, RM, "TypeStructure")
        _sub(kind, RM, "ValueListURN", RESOURCE_TYPE[0])
        _sub(kind, RM, "Value", RESOURCE_TYPE[1])
        language = _sub(resource, RM, "Keyword")
        _sub(language, RM, "ValueListURN", LANGUAGE_LIST)
        _sub(language, RM, "Value", tag)
        for skill in request["skills"]:
            keyword = _sub(resource, RM, "Keyword")
            _sub(keyword, RM, "ValueListURN", SKILL_LIST)
            _sub(keyword, RM, "Value", skill)
        if request["note"]:
            _sub(resource, RM, "Description", request["note"])
        assignment = _sub(info, MSG, "AssignmentInformation")
        quantity = _sub(assignment, RM, "Quantity")
        measured = _sub(quantity, RM, "MeasuredQuantity")
        _sub(measured, RM, "Amount", request["people"])
        for kind_of, moment in (("RequestedArrival", request["starts_at"]),
                                ("RequestedReturn", request["ends_at"])):
            schedule = _sub(info, MSG, "ScheduleInformation")
            _sub(schedule, RM, "ScheduleType", kind_of)
            _sub(schedule, RM, "DateTime", moment)
            if kind_of == "RequestedArrival":
                location = _sub(schedule, RM, "Location")
                _sub(location, RM, "LocationDescription", request["place"])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _find(element, *path):
    for step in path:
        element = element.find(step) if element is not None else None
    return element


def _text_of(element, *path):
    found = _find(element, *path)
    return (found.text or "").strip() if found is not None and found.text else ""


def from_edxl(data):
    """The values of a RequestResource file (as create_request takes them) and its
    message id; ValidationError naming the file when it is not one."""
    problem = ValidationError({"file": _l(
        "%(field)s: not an EDXL-RM RequestResource message.", field=FIELD_LABELS["file"])})
    if not data or len(data) > MAX_FILE or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise problem  # no document types: no entity expansion from a partner's file
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise problem
    if root.tag != f"{{{MSG}}}RequestResource":
        raise problem
    m, r = f"{{{MSG}}}", f"{{{RM}}}"
    values = {"languages": [], "skills": [], "people": 0}
    contacts = {_text_of(c, r + "ContactRole"): _text_of(c, r + "ContactDescription")
                for c in root.findall(m + "ContactInformation")}
    values["contact"] = contacts.get("Requester", "")
    for info in root.findall(m + "ResourceInformation"):
        for keyword in info.findall(f"{m}Resource/{r}Keyword"):
            urn, value = _text_of(keyword, r + "ValueListURN"), _text_of(keyword, r + "Value")
            if urn == LANGUAGE_LIST and value not in values["languages"]:
                values["languages"].append(value)
            elif urn == SKILL_LIST and value not in values["skills"]:
                values["skills"].append(value)
        amount = _text_of(info, m + "AssignmentInformation", r + "Quantity",
                          r + "MeasuredQuantity", r + "Amount")
        values["people"] = max(values["people"], whole_number(amount) or 0)
        values["note"] = _text_of(info, m + "Resource", r + "Description") or None
        for schedule in info.findall(m + "ScheduleInformation"):
            kind = _text_of(schedule, r + "ScheduleType")
            if kind == "RequestedArrival":
                values["starts_at"] = _text_of(schedule, r + "DateTime")
                values["place"] = _text_of(schedule, r + "Location", r + "LocationDescription")
            elif kind == "RequestedReturn":
                values["ends_at"] = _text_of(schedule, r + "DateTime")
    description = _text_of(root, m + "MessageDescription")
    values["partner"] = description.split(":", 1)[0] if description else contacts.get(
        "Requester", "")
    return values, _text_of(root, m + "MessageID")


def import_request(db, data, *, actor):
    values, message_id = from_edxl(data)
    if not message_id:
        raise ValidationError({"file": _l("%(field)s: the message has no MessageID.",
                                          field=FIELD_LABELS["file"])})
    return create_request(db, values, actor=actor, direction="received",
                          message_id=message_id)


def what_we_could_send(db, request):
    """For a request received: this city's volunteers who speak its languages (native,
    fluent or conversational), by language."""
    found = {}
    for tag in request["languages"]:
        found[tag] = [dict(r) for r in db.query(
            "SELECT v.id, v.name, l.level, v.checked_in_at IS NOT NULL AS checked_in "
            "FROM volunteer v JOIN volunteer_language l ON l.volunteer_id = v.id "
            "WHERE l.language = ? AND l.level IN ('native', 'fluent', 'conversational') "
            "ORDER BY v.checked_in_at IS NOT NULL, v.name", [tag])]
    return found

