"""The audit log in words, for its page: each action as a short phrase in the reader's
language, and what the write recorded as "field: old → new".

The log keeps each write's before and after as JSON (the CSV hands it on as such, for
machines). People read the labels the app already has for fields and codes (statuses,
languages, categories, roles) and nested values as plain text, never JSON. Everything
returned is plain text that the page escapes, whoever typed it.
"""

import json
from dataclasses import dataclass

from ..accounts.users import ROLES
from ..formatting import change_value, field_label, label_of_category, language_name, localtime
from ..needs import records as needs
from ..notices import records as notices
from ..shelters import registry as shelters
from ..text import _l
from ..volunteers import assignments
from ..volunteers import registry as volunteers

# (entity, action) as the write functions record them (grep "record(").
ACTIONS = {
    ("need", "create"): _l("Need recorded"),
    ("need", "status"): _l("Need status changed"),
    ("need", "update"): _l("Need changed"),
    ("need", "answer"): _l("Need answered with a notice"),
    ("need", "merge"): _l("Evacuee's report merged into a need"),
    ("need_callback", "create"): _l("Call-back number given (with consent)"),
    ("shelter", "create"): _l("Place added"),
    ("shelter", "merge"): _l("Place merged into another"),
    ("visit", "create"): _l("Patrol visit recorded"),
    ("visit", "update"): _l("Follow-up done"),
    ("patrol_round", "create"): _l("Patrol round started"),
    ("patrol_round", "update"): _l("Patrol round closed"),
    ("shelter", "update"): _l("Shelter updated"),
    ("shelter", "import"): _l("Shelters imported"),
    ("notice", "create"): _l("Notice drafted"),
    ("notice", "update"): _l("Notice changed"),
    ("notice", "publish"): _l("Notice published"),
    ("notice", "withdraw"): _l("Notice withdrawn"),
    ("notice", "translate"): _l("Notice translated"),
    ("notice", "import_cap"): _l("CAP alert imported"),
    ("volunteer", "create"): _l("Volunteer registered"),
    ("volunteer", "update"): _l("Volunteer changed"),
    ("volunteer", "import"): _l("Volunteers imported"),
    ("volunteer", "check_in"): _l("Volunteer checked in"),
    ("volunteer", "check_out"): _l("Volunteer checked out"),
    ("assignment", "propose"): _l("Volunteers proposed"),
    ("assignment", "confirmed"): _l("Assignment confirmed"),
    ("assignment", "accepted"): _l("Assignment accepted"),
    ("assignment", "declined"): _l("Assignment declined"),
    ("assignment", "done"): _l("Assignment done"),
    ("translation", "propose"): _l("Translation tasks proposed"),
    ("user", "create"): _l("User created"),
    ("user", "update"): _l("User changed"),
    ("user", "sign_in"): _l("Signed in"),
    ("user", "set_password"): _l("Password changed"),
    ("user", "set_language"): _l("Language changed"),
    ("user", "revoke_sessions"): _l("Sessions signed out"),
    ("api_token", "create"): _l("API token created"),
    ("api_token", "revoke"): _l("API token revoked"),
    ("device", "create"): _l("Tablet link created"),
    ("device", "revoke"): _l("Tablet link revoked"),
    ("drill", "start"): _l("Drill started"),
    ("drill", "end"): _l("Drill ended"),
    ("personal_data", "purge"): _l("Personal data removed"),
}

# Fields the forms label themselves, by entity; then the ones only the log names,
# with the labels the pages already use for them.
ENTITY_LABELS = {"need": needs.FIELD_LABELS, "shelter": shelters.FIELD_LABELS,
                 "volunteer": volunteers.FIELD_LABELS}
LABELS = {
    "status": _l("Status"), "template_id": _l("Template"), "title": _l("Title"),
    "body": _l("Text"), "note": _l("Note"), "language": _l("Language"),
    "languages": _l("Languages"), "area": _l("Where"), "valid_from": _l("Valid from"),
    "valid_until": _l("Valid until"),
    "username": _l("User name"), "role": _l("Role"), "shelters": _l("Shelters"),
    "disabled": _l("Account"), "label": _l("Label"), "shelter_id": _l("Shelter"),
    "expires_at": _l("Valid until"), "notice_id": _l("Notice"), "place": _l("Place"),
    "proposals": _l("Proposals"), "scenario": _l("Scenario"),
}
STATUSES = {"need": needs.STATUSES, "shelter": shelters.STATUSES, "notice": notices.STATES,
            "assignment": assignments.STATUSES}
CODES = {"urgency": needs.URGENCIES, "role": ROLES, "skills": volunteers.SKILL_LABELS}
TIMES = {"valid_from", "valid_until", "expires_at"}
# What an action implies without recording it: a publish records where and when only.
IMPLIED = {("notice", "publish"): {"status": "published"}}
ACCOUNT = {0: _l("active"), 1: _l("disabled")}
WHOLE_CITY = _l("Whole city")
CENTER = _l("the disaster prevention center")
YES, NO = _l("yes"), _l("no")
EMPTY = (None, "", [], {})
MAX_SHOWN = 200  # characters of one value: a 2,000-character notice stays in the CSV


@dataclass(frozen=True)
class Change:
    label: str
    old: str | None  # None: only the new value was recorded ("Note: …")
    new: str


@dataclass(frozen=True)
class Description:
    action: str
    changes: tuple


def action_label(entity, action):
    """A short phrase in the reader's language; an action it does not know, as recorded."""
    return str(ACTIONS.get((entity, action), action))


def describe(entity, action, before=None, after=None, *, wards=None):
    """An entry in words. ``before`` / ``after`` are the recorded values (dicts as
    written, anything else is shown as a plain value); ``wards`` names ward ids."""
    before, after = _flat(before), _flat(after)
    for key, value in IMPLIED.get((entity, action), {}).items():
        if key in before:
            after.setdefault(key, value)
    wards = wards or {}
    keys = list(before) + [k for k in after if k not in before]
    order = {}
    for field in [*ENTITY_LABELS.get(entity, ()), *LABELS]:
        order.setdefault(field, len(order))  # the form's order first
    keys.sort(key=lambda k: order.get(k.split(".", 1)[0], len(order)))
    changes = []
    for key in keys:
        old_there, new_there = key in before, key in after
        if old_there and new_there and before[key] == after[key]:
            continue  # unchanged: some writes record every field
        if not (old_there and new_there) and before.get(key, after.get(key)) in EMPTY:
            continue  # nothing to tell (a need created without a note)
        old = _text(entity, key, before[key], wards) if old_there else None
        new = _text(entity, key, after[key], wards) if new_there else "—"
        changes.append(Change(_label(entity, key), old, new))
    return Description(action_label(entity, action), tuple(changes))


def describe_row(row, *, wards=None):
    """An entry of ``log.entries`` in words (its before and after are JSON text)."""
    return describe(row["entity"], row["action"], _parsed(row["before"]),
                    _parsed(row["after"]), wards=wards)


def _parsed(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # not written by record(): shown as it is


def _flat(values):
    """One level of fields: a notice's slots become fields of their own, a notice's
    area one "where" field."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        return {"details": values}
    flat = {}
    for key, value in values.items():
        if key == "slots" and isinstance(value, dict):
            flat.update({f"slots.{name}": v for name, v in value.items()})
        elif key == "area_kind":
            flat["area"] = "all" if value == "all" else values.get("area")
        elif key != "area" or "area_kind" not in values:
            flat[key] = value
    return flat


def _label(entity, key):
    labels = ENTITY_LABELS.get(entity, {})
    if entity == "shelter" and (key in labels or key.startswith("languages.")):
        return field_label(key)  # "Foreign evacuees by language: Tiếng Việt"
    if key in labels:
        return str(labels[key])
    if key.startswith("slots.") and key[6:] in notices.SLOT_LABELS:
        return str(notices.SLOT_LABELS[key[6:]])
    if key in LABELS:
        return str(LABELS[key])
    return key.replace("_", " ").capitalize()  # a field no page names: its name, readable


def _text(entity, key, value, wards):
    try:
        text = _words(entity, key, value, wards)
    except (ValueError, TypeError, KeyError, AttributeError):
        text = _plain(value)  # a value of an unexpected shape (an older entry): as it is
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def _words(entity, key, value, wards):
    """A recorded value in words: codes by their labels, languages by their names."""
    if value in EMPTY:
        return "—"
    if entity == "shelter" and isinstance(value, str):
        # the shelter's history keeps text values (facts "1" / "0", lists as JSON)
        return str(change_value(value, key))
    if key == "status":
        return _each(value, lambda v: _code(STATUSES.get(entity, {}), v))
    if key in CODES:
        return _each(value, lambda v: _code(CODES[key], v))
    if key in ("language", "languages") and isinstance(value, dict):
        return ", ".join(f"{language_name(tag)} ({_code(volunteers.LEVEL_LABELS, level)})"
                         for tag, level in value.items())
    if key in ("language", "languages"):
        return _each(value, language_name)
    if key == "category":
        return _each(value, label_of_category)
    if key in TIMES:
        return localtime(value)
    if key == "disabled":
        return str(ACCOUNT[int(value)])
    if key == "area":
        return str(WHOLE_CITY) if value == "all" else _each(value, lambda v: wards.get(v, v))
    if key == "ward":
        return wards.get(value, value)
    if key == "place" and value == "center":
        return str(CENTER)
    return _plain(value)


def _each(value, show):
    """One code or a list of them, each in words."""
    return ", ".join(str(show(v)) for v in value) if isinstance(value, list) else str(show(value))


def _code(labels, value):
    return str(labels.get(value, value))


def _plain(value):
    """Any recorded value as plain text: lists joined, pairs as "key: value", no JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(YES if value else NO)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(v)}" for key, v in value.items())
    if isinstance(value, list):
        return ", ".join(f"({_plain(v)})" if isinstance(v, (list, dict)) else _plain(v)
                         for v in value)
    return str(value)
