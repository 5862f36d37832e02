"""Template filters: numbers, percentages, times and labels in the user's locale."""

import datetime
import json

from babel.units import format_unit
from flask_babel import format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from .needs.records import age_minutes
from .shelters import registry
from .vocabulary import autonym, category_label


def localtime(value):
    """A stored UTC timestamp shown in Asia/Tokyo, formatted for the locale."""
    if not value:
        return "—"
    return format_datetime(datetime.datetime.fromisoformat(value), "short")


def age(created_at):
    """How long ago, plainly: "42 min", "3 hr", "2 days" in the user's language."""
    return minutes(age_minutes(created_at))


def minutes(value):
    """A duration in two units at most, in the user's language: "1 hr 30 min"."""
    locale = get_locale() or "en"
    total = int(value)
    if total < 60:
        return format_unit(total, "duration-minute", "short", locale=locale)
    if total < 24 * 60:
        units = (("duration-hour", total // 60), ("duration-minute", total % 60))
    else:
        units = (("duration-day", total // 1440), ("duration-hour", total % 1440 // 60))
    # a plain space: CLDR's list patterns for units are incomplete in some locales
    return " ".join(format_unit(n, unit, "short", locale=locale) for unit, n in units if n)


def now_local():
    return format_datetime(datetime.datetime.now(datetime.timezone.utc), "short")


def label_of_category(category_id):
    from .i18n import chosen_language

    return category_label(category_id, chosen_language())


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
    app.jinja_env.globals["now_local"] = now_local
    app.jinja_env.filters.update(
        number=lambda v: "—" if v is None else format_decimal(v),
        percent=lambda v: format_percent(v),
        localtime=localtime,
        autonym=autonym,
        field_label=field_label,
        change_value=change_value,
        age=age,
        age_minutes=age_minutes,
        minutes=minutes,
        category_label=label_of_category,
    )
