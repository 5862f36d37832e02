"""Template filters: numbers, percentages, times and labels in the user's locale."""

import datetime
import functools
import json

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.units import format_unit
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from .i18n import chosen_language
from .needs.records import age_minutes
from .shelters import places, registry
from .vocabulary import autonym, category_label, languages


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
    return _duration(int(value), str(get_locale() or "en"))


@functools.lru_cache(maxsize=8192)
def _duration(total, locale):
    # remembered: Babel's unit formatting is slow, and a queue shows hundreds of ages
    if total < 60:
        return format_unit(total, "duration-minute", "short", locale=locale)
    if total < 24 * 60:
        units = (("duration-hour", total // 60), ("duration-minute", total % 60))
    else:
        units = (("duration-day", total // 1440), ("duration-hour", total % 1440 // 60))
    # a plain space: CLDR's list patterns for units are incomplete in some locales
    return " ".join(format_unit(n, unit, "short", locale=locale) for unit, n in units if n)


def number(value):
    """A number in the user's locale ("1,234"); "—" for none."""
    return _number(value, str(get_locale() or "en"))


def _number(value, locale):
    return "—" if value is None else _decimal(value, locale)


class Reader:
    """The formats of one page's reader, with the locale and language asked once: a
    list of 50 rows asked the request context for them about ten times a row."""

    def __init__(self):
        self.locale = str(get_locale() or "en")
        self.language = chosen_language()

    def number(self, value):
        return _number(value, self.locale)

    def minutes(self, value):
        return _duration(int(value), self.locale)

    def language_label(self, tag):
        return _language_label_for(tag, self.language)


def percent(value):
    return _percent(value, str(get_locale() or "en"))


# remembered: Babel parses the locale's pattern on every call, and a list of 168
# places formats a thousand numbers, mostly the same few hundred values
@functools.lru_cache(maxsize=16384)
def _decimal(value, locale):
    return babel_numbers.format_decimal(value, locale=locale)


@functools.lru_cache(maxsize=4096)
def _percent(value, locale):
    return babel_numbers.format_percent(value, locale=locale)


def now_local():
    return format_datetime(datetime.datetime.now(datetime.timezone.utc), "short")


# Public pages (boards, the offline bar) are read by people of every language, on a
# wall or a phone: "12/2/26" is 2 December to some and 12 February to others. So
# the month as a word and the year in full, in each language's own order (CLDR's
# skeletons), and a 24-hour clock: CLDR's Khmer "2:30 PM" is English, and "12 PM"
# is read as midnight as often as noon.
PUBLIC_DATE_SKELETON = "yMMMd"
PUBLIC_TIME_SKELETON = "Hm"
# Japanese keeps the y/MM/dd its notices use: a four-digit year, read one way only
PUBLIC_PATTERNS = {"ja": "y/MM/dd HH:mm"}
EASY_JAPANESE = "ja-x-easy"
# Easy Japanese guidelines: a 12-hour clock with ごぜん / ごご in hiragana, never
# 午後12時 (many read it as midnight): noon is ひるの 12時, midnight よるの 12時.
# offline.js receives the same words (offline.page_texts).
EASY_CLOCK = {"am": "ごぜん", "pm": "ごご", "noon": "ひるの", "midnight": "よるの",
              "hour": "%(hour)s時", "minute": "%(minute)s分"}
JAPAN = datetime.timezone(datetime.timedelta(hours=9))  # no summer time


def easy_clock(hour, minute):
    """A Japan time in Easy Japanese: "ごご 2時30分", "ひるの 12時", "よるの 12時"."""
    period = ("midnight" if hour == 0 else "noon" if hour == 12
              else "am" if hour < 12 else "pm")
    text = f"{EASY_CLOCK[period]} " + EASY_CLOCK["hour"] % {"hour": hour % 12 or 12}
    return text + (EASY_CLOCK["minute"] % {"minute": minute} if minute else "")


def _public_locale(tag):
    entry = languages().get(tag) or languages()["ja"]
    return Locale.parse(entry["locale"])


def public_datetime(value, tag):
    """A stored UTC time for a public page in ``tag``, in Japan time: "Dec 2, 2026,
    14:30", "14:30 2 thg 12, 2026", "2026年12月2日 ごご 2時30分"."""
    if not value:
        return "—"
    moment = value if isinstance(value, datetime.datetime) \
        else datetime.datetime.fromisoformat(value)
    return _public_datetime(moment.astimezone(JAPAN).replace(second=0, microsecond=0), tag)


@functools.lru_cache(maxsize=4096)
def _public_datetime(moment, tag):
    # remembered: Babel's skeleton matching is slow, and a board repeats its dates
    if tag == EASY_JAPANESE:
        # 「2日の よるの 12時」 is the midnight that ends the 2nd: 00:00 on the 3rd
        # is said so, not "3日 よるの 12時" (read as the night after the 3rd)
        day = moment - datetime.timedelta(days=1) if moment.hour == 0 else moment
        return (f"{day.year}年{day.month}月{day.day}日 "
                + easy_clock(moment.hour, moment.minute))
    locale = _public_locale(tag)
    if tag in PUBLIC_PATTERNS:
        return babel_dates.format_datetime(moment, PUBLIC_PATTERNS[tag], locale=locale)
    date = babel_dates.format_skeleton(PUBLIC_DATE_SKELETON, moment, locale=locale)
    time = public_clock(moment.time(), tag)
    # how the language joins a date and a time: "{1}, {0}" in English, "{0} {1}" in
    # Vietnamese (quotes mark literal text in CLDR patterns)
    joined = babel_dates.get_datetime_format("medium", locale=locale).replace("'", "")
    return joined.replace("{1}", date).replace("{0}", time)


def public_clock(value, tag):
    """A Japan time of day (datetime.time) for a public text in ``tag``: "14:30",
    "14:30 น.", "ひるの 12時"; for notice texts too (their time slots)."""
    if tag == EASY_JAPANESE:
        return easy_clock(value.hour, value.minute)
    if tag in PUBLIC_PATTERNS:
        return f"{value.hour:02}:{value.minute:02}"
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), value)  # a day: any
    return babel_dates.format_skeleton(PUBLIC_TIME_SKELETON, moment, locale=_public_locale(tag))


def public_now(tag):
    """Now, for a public page in ``tag`` (its "Updated ..." line)."""
    return public_datetime(datetime.datetime.now(datetime.timezone.utc), tag)


@functools.lru_cache(maxsize=32)  # the same for every page in a language
def relative_time_texts(tag):
    """CLDR's "5 minutes ago" in ``tag`` for offline.js, where the browser's
    Intl.RelativeTimeFormat lacks the language: Chromium has no Nepali, Burmese,
    Khmer or Mongolian and silently answers in its own language (Japanese on a
    Japanese tablet). {"units": {unit: {"past": {plural category: "{0} ..."},
    "relative": {"0": "this minute", "-2": ...}}}, "plural": {category: [n < 100]}}."""
    locale = _public_locale(tag)
    # Babel has no public accessor for these patterns (format_timedelta reads them so)
    fields = locale._data["date_fields"]
    units = {}
    for unit in ("minute", "hour", "day"):
        past = fields[unit]["past"]
        relative = fields[unit]["relative"]
        units[unit] = {"past": {c: past[c] for c in past},
                       "relative": {str(k): relative[k] for k in relative if k <= 0}}
    categories = {c for u in units.values() for c in u["past"]} - {"other"}
    # the script has no plural rules of its own for these languages either: the
    # counts of each category, up to 99 (beyond, "other": a board that old is stale)
    plural = {c: [n for n in range(100) if locale.plural_form(n) == c]
              for c in sorted(categories)}
    return {"units": units, "plural": plural}


def label_of_category(category_id):
    return category_label(category_id, chosen_language())


def field_label(field):
    if field == "created":
        return _("Added from open data")
    if field == "added":
        return _("Added by the center")
    if field == "merged":
        return _("Merged with another record of this place")
    if field.startswith("languages."):
        return f"{registry.FIELD_LABELS['languages']}: {autonym(field.split('.', 1)[1])}"
    return str(registry.FIELD_LABELS.get(field) or places.PLACE_FIELDS.get(field, field))


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


def language_name(tag):
    """A language named in the reader's language ("Nepali", "ネパール語")."""
    from babel import Locale

    from .vocabulary import languages

    if tag == "ja-x-easy":
        return _("Easy Japanese")
    try:
        named = Locale.parse(languages()[tag]["locale"])
    except (KeyError, ValueError):
        return tag
    reader = get_locale() or Locale("en")
    # CLDR's name of a written variety ("Simplified Chinese"), else of the language
    # alone: pt_BR's region chooses dates and numbers, the name is "Portuguese"
    variety = f"{named.language}_{named.script}" if named.script else None
    return (reader.languages.get(variety) or reader.languages.get(named.language)
            or named.get_display_name(reader))


# Japanese and Chinese set an aside in full-width brackets, with no space before
FULL_WIDTH_BRACKETS = {"ja", "ja-x-easy", "zh-Hans", "zh-Hant"}
JAPANESE = {"ja", "ja-x-easy"}


def _label_parts(tag):
    """(the reader's name, the language's own name or None when it adds nothing)."""
    return _label_parts_for(tag, chosen_language())


@functools.lru_cache(maxsize=1024)
def _label_parts_for(tag, reader):
    # remembered: Babel's display names are slow, and a queue names a language per row
    entry = languages().get(tag)
    if entry is None:
        return tag, None
    if tag == reader:
        return entry["autonym"], None  # a language named in itself
    name = language_name(tag)
    # "vietnamita" starts a label in Spanish with a capital, as a menu item does
    name = name[:1].upper() + name[1:]
    # a Japanese reader knows both Japanese: "やさしい日本語", not "（やさしい にほんご）"
    if {tag, reader} <= JAPANESE or name.casefold() == entry["autonym"].casefold():
        return name, None
    return name, entry["autonym"]


def _brackets():
    return ("（", "）") if chosen_language() in FULL_WIDTH_BRACKETS else (" (", ")")


def language_label_text(tag):
    """A language for staff, as plain text (an <option>, a map popup): the reader's
    name and the language's own, "Khmer (ភាសាខ្មែរ)", "クメール語（ភាសាខ្មែរ）"."""
    name, own = _label_parts(tag)
    if own is None:
        return name
    left, right = _brackets()
    return f"{name}{left}{own}{right}"


def language_label(tag):
    """The same label as HTML: the language's own name marked with its language,
    so screen readers and fonts treat it as such. Every part is escaped."""
    return _language_label_for(tag, chosen_language())


@functools.lru_cache(maxsize=1024)
def _language_label_for(tag, reader):
    name, own = _label_parts_for(tag, reader)
    if own is None:
        return escape(name)
    left, right = _brackets()
    return Markup('{}{}<span lang="{}">{}</span>{}').format(name, left, tag, own, right)


def reasons_text(reasons):
    """Why a volunteer was proposed, in the coordinator's language."""
    from .volunteers.registry import LEVEL_LABELS, SKILL_LABELS

    if not reasons.get("language"):
        return ""
    parts = [_("speaks %(language)s (%(level)s)", language=language_name(reasons["language"]),
               level=LEVEL_LABELS.get(reasons["level"], reasons["level"]))]
    if reasons.get("km") is not None:
        parts.append(_("%(km)s km", km=format_decimal(reasons["km"], "#,##0.0")))
    parts += [str(SKILL_LABELS.get(s, s)) for s in reasons.get("skills", [])]
    parts += [_("without %(skill)s", skill=SKILL_LABELS.get(s, s))
              for s in reasons.get("missing_skills", [])]
    parts.append(ngettext("%(num)s active assignment", "%(num)s active assignments",
                          reasons.get("active", 0)))
    return " · ".join(str(p) for p in parts)


def unservable_text(group):
    language = language_name(group["language"])
    needs = ngettext("%(num)s need", "%(num)s needs", group["needs"])
    people = ngettext("%(num)s person", "%(num)s people", group["people"])
    if group["reason"] == "no_speaker":
        head = _("No %(language)s speaker available", language=language)
    elif group["reason"] == "no_level":
        head = _("No %(language)s speaker at the level needed", language=language)
    else:
        head = _("All %(language)s speakers are busy", language=language)
    return f"{head}: {needs}, {people}"


def need_status(status):
    from .needs.records import STATUSES

    return STATUSES.get(status, status)


def assignment_status(status):
    from .volunteers.assignments import STATUSES

    return STATUSES.get(status, status)


def localiso(value):
    """A stored UTC time as a Japan-time value for an input (2026-11-26T09:00)."""
    moment = datetime.datetime.fromisoformat(value).astimezone(
        datetime.timezone(datetime.timedelta(hours=9)))
    return moment.strftime("%Y-%m-%dT%H:%M")


def hours_since(value, now=None):
    """Whole hours since a stored UTC time (0 for one in the future)."""
    if not value:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    seconds = (now - datetime.datetime.fromisoformat(value)).total_seconds()
    return max(0, int(seconds // 3600))


def init_app(app):
    app.jinja_env.globals["now_local"] = now_local
    app.jinja_env.globals["public_now"] = public_now
    app.jinja_env.filters.update(
        number=number,
        percent=percent,
        localtime=localtime,
        public_datetime=public_datetime,
        autonym=autonym,
        field_label=field_label,
        change_value=change_value,
        age=age,
        age_minutes=age_minutes,
        hours_since=hours_since,
        minutes=minutes,
        reasons_text=reasons_text,
        unservable_text=unservable_text,
        localiso=localiso,
        assignment_status=assignment_status,
        need_status=need_status,
        language_name=language_name,
        language_label=language_label,
        language_label_text=language_label_text,
        category_label=label_of_category,
    )
