"""Template filters: numbers, percentages, times and labels in the user's locale."""

import datetime
import json

from flask_babel import format_datetime, format_decimal, format_percent
from flask_babel import gettext as _

from .shelters import registry
from .vocabulary import autonym


def localtime(value):
    """A stored UTC timestamp shown in Asia/Tokyo, formatted for the locale."""
    if not value:
        return "—"
    return format_datetime(datetime.datetime.fromisoformat(value), "short")


def field_label(field):
    if field == "created":
        return _("Added from open data")
    if field.startswith("languages."):
        return f"{registry.FIELD_LABELS['languages']}: {autonym(field.split('.', 1)[1])}"
    return str(registry.FIELD_LABELS.get(field, field))


def change_value(value, field):
    """A history value in words: labels for codes, names for languages."""
    if value is None:
        return "—"
    if field == "status" and value in registry.STATUSES:
        return str(registry.STATUSES[value])
    if field in registry.FACTS:
        return _("yes") if value == "1" else _("no")
    if field == "staff_languages":
        return ", ".join(autonym(t) for t in json.loads(value)) or "—"
    if field == "hazards":
        return ", ".join(str(registry.HAZARDS.get(h, h)) for h in json.loads(value)) or "—"
    if field == "kind" and value in registry.KINDS:
        return str(registry.KINDS[value])
    return value


def init_app(app):
    app.jinja_env.filters.update(
        number=lambda v: "—" if v is None else format_decimal(v),
        percent=lambda v: format_percent(v),
        localtime=localtime,
        autonym=autonym,
        field_label=field_label,
        change_value=change_value,
    )
