"""A notice in one language: its title and body with the slot values written
the reader's way, and whether the text is complete in that language.

Statuses of a text: "template" (a reviewed template with localised values),
"original" (free text in the language it was written in), "translated" (a
person translated it) and "missing" (not yet translated: shown as such, never
replaced silently by another language).
"""

import datetime
import re
from dataclasses import dataclass

from babel.dates import format_date
from babel.lists import format_list
from markupsafe import Markup, escape

from ..formatting import public_clock
from ..vocabulary import languages
from . import furigana
from .templates import items, official_terms, templates

EASY = "ja-x-easy"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# A proper noun inside a text: \x02name\x1freading\x03 (or \x02name\x03 when its
# reading is unknown). Dictionaries guess place names wrong (上溝 is かみみぞ, not
# うわみぞ), so such a name gets the registry's reading or none at all.
_PROPER = re.compile("\x02([^\x1f\x03]*)(?:\x1f([^\x03]*))?\x03")


def proper_noun(name, reading=None):
    return f"\x02{name}\x1f{reading}\x03" if reading else f"\x02{name}\x03"


@dataclass
class Text:
    language: str
    raw_title: str
    raw_body: str
    status: str  # template | original | translated | missing
    original_language: str | None = None  # for "missing": what the reader sees instead
    pending_note: str | None = None  # a note not yet translated into this language

    @property
    def title(self):
        return _PROPER.sub(r"\1", self.raw_title)

    @property
    def body(self):
        return _PROPER.sub(r"\1", self.raw_body)

    @property
    def complete(self):
        """The text is in the reader's language (a note may still wait: pending_note)."""
        return self.status != "missing"

    @property
    def needs_translation(self):
        return self.status == "missing" or self.pending_note is not None

    def html(self, part):
        """Title or body as HTML: furigana for Easy Japanese, line breaks kept."""
        text = getattr(self, "raw_" + part)
        if self.language == EASY and self.status != "missing":
            pieces, position = [], 0
            for match in _PROPER.finditer(text):
                pieces.append(furigana.to_ruby_html(text[position:match.start()]))
                name, reading = match.group(1), match.group(2)
                pieces.append(furigana.ruby(name, furigana.to_hiragana(reading))
                              if reading else str(escape(name)))
                position = match.end()
            pieces.append(furigana.to_ruby_html(text[position:]))
            rendered = "".join(pieces)
        else:
            rendered = str(escape(_PROPER.sub(r"\1", text)))
        return Markup(rendered.replace("\n", "<br>"))


def locale_of(tag):
    return languages()[tag]["locale"]


# official slots: which vocabulary of messages/official.yaml names a code
TERMS_OF_SLOT = {"hazard": "hazards", "flood_stage": "flood_stages", "river": "rivers"}
# "緑区 震度5弱" where the scale's word comes first, "Midori-ku: 5 Lower" elsewhere
_INTENSITY_JOINED = {"ja", EASY, "zh-Hans", "zh-Hant", "ko"}
OTHER_NAME = "name:"  # a name the vocabulary lacks (a new warning), kept in Japanese


def _term(group, code, tag):
    """A code's name in ``tag`` (English when that language lacks it); a value that
    carries its own name (name:…) is that name, in Japanese as the agency wrote it."""
    if code.startswith(OTHER_NAME):
        name = code[len(OTHER_NAME):]
        return proper_noun(name) if tag == EASY else name
    names = official_terms()[group].get(code, {})
    return names.get(tag) or names.get("en") or code


def _area_name(item, tag, names):
    """One area of the areas slot: ward:<id>, district:<ward id>/<name>, shelter:<id>."""
    kind, _, ref = item.partition(":")
    if kind == "shelter":
        return format_slot("place", item, tag, names)
    if kind == "ward":
        return (names or {}).get(item, {}).get(tag) or ref
    ward, _, district = ref.partition("/")
    ward_name = (names or {}).get("ward:" + ward, {}).get(tag) or ward
    if tag == "ja":
        return ward_name + district
    if tag == EASY:
        return proper_noun(district)
    return f"{district} ({ward_name})"  # the name on the signs, and the ward the reader knows


def _list(values, tag):
    return format_list(values, locale=locale_of(tag)) if values else ""


def _official_slot(name, value, tag, names):
    items_ = [v for v in value.split(";") if v]
    if name in TERMS_OF_SLOT:
        return _term(TERMS_OF_SLOT[name], value, tag)
    if name == "warnings":
        return _list([_term("warnings", code, tag) for code in items_], tag)
    if name in ("areas", "places"):
        return _list([_area_name(item, tag, names) for item in items_], tag)
    # intensities: <ward id or "city">=<intensity code>;…
    shown = []
    for item in items_:
        where, _, code = item.partition("=")
        place = (names or {}).get("ward:" + where, {}).get(tag) or where
        joiner = " " if tag in _INTENSITY_JOINED else ": "
        shown.append(place + joiner + _term("intensity", code, tag))
    return _list(shown, tag)


def format_slot(name, value, tag, shelter_names=None):
    """The value of one slot as the reader of ``tag`` reads it."""
    if value in (None, ""):
        return ""
    if name in TERMS_OF_SLOT or name in ("warnings", "areas", "places", "intensities"):
        return _official_slot(name, value, tag, shelter_names)
    locale = locale_of(tag)
    if name == "date":
        day = datetime.date.fromisoformat(value)
        if tag == EASY:
            weekday = "月火水木金土日"[day.weekday()]
            return f"{day.month}月{day.day}日（{weekday}曜日）"
        return format_date(day, "full", locale=locale)
    if name == "time":
        return public_clock(datetime.time.fromisoformat(value), tag)
    if name == "time_range":
        # the clock every public page uses: 24-hour, noon never read as midnight
        start, end = (public_clock(datetime.time.fromisoformat(v), tag)
                      for v in value.split("-"))
        if tag == EASY:
            return f"{start}から {end}まで"
        return start + ("〜" if tag == "ja" else " – ") + end
    if name == "item":
        names = items().get(value, {})
        return names.get(tag) or names.get("en") or value
    if name == "place":
        if value.startswith("shelter:"):
            names = (shelter_names or {}).get(value[len("shelter:"):], {})
            if tag == EASY:
                return proper_noun(names.get("ja") or value, names.get("kana"))
            if tag == "ja":
                return names.get("ja") or value
            # the English (else romaji) name, with the Japanese one to match the sign
            latin = names.get("en") or names.get("romaji")
            japanese = names.get("ja")
            if latin and japanese:
                return f"{latin} ({japanese})"
            return latin or japanese or value
        return proper_noun(value) if tag == EASY else value
    return value  # phone


# A sentence ends at a line break or at 。 . ! ? ！ ？ ။ (Burmese) ។ (Khmer) । (Nepali).
_SENTENCE = re.compile(r"[^\n。.!?！？။។।]*(?:[。.!?！？။។।]+|\n|$)")


def _fill(text, values):
    """Slot values into the text; a sentence whose slot has no value is left out
    whole (so an optional place or phone never leaves a sentence half empty)."""
    kept = []
    for sentence in _SENTENCE.findall(text):
        names = _PLACEHOLDER.findall(sentence)
        if any(not values.get(name) for name in names):
            continue
        kept.append(_PLACEHOLDER.sub(lambda m: values[m.group(1)], sentence))
    return re.sub(r"[ \t]+\n", "\n", "".join(kept)).strip()


def render(notice, tag, shelter_names=None):
    """The notice (a dict: see notices.records) as a Text in language ``tag``."""
    translations = notice.get("translations", {})
    if notice["template_id"]:
        template = templates().get(notice["template_id"])
        text = template.text(tag) if template else None
        if text is None:
            return _missing(notice, tag, shelter_names)
        slots = notice["slots"]
        values = {name: format_slot(name, slots.get(name), tag, shelter_names)
                  for name in template.slots if name != "note"}
        status, pending = "template", None
        note = slots.get("note")
        if note:
            if tag == notice["source_language"]:
                values["note"] = note
            elif translations.get(tag, {}).get("note"):
                values["note"] = translations[tag]["note"]
                status = "translated"
            else:
                # only the note waits: the reviewed text stays the reader's, with its
                # furigana and language; the note is shown apart, in the original
                values["note"] = ""
                pending = note
        return Text(tag, _fill(text["title"], values), _fill(text["body"], values), status,
                    notice["source_language"] if pending else None, pending)
    if tag == notice["source_language"]:
        return Text(tag, notice["title"], notice["body"], "original")
    if translations.get(tag, {}).get("body"):
        translation = translations[tag]
        return Text(tag, translation["title"] or notice["title"], translation["body"],
                    "translated")
    return _missing(notice, tag, shelter_names)


def _missing(notice, tag, shelter_names):
    """Not in this language: the original, clearly labelled as such by the caller."""
    source = notice["source_language"]
    original = render(notice, source, shelter_names) if tag != source else None
    return Text(tag, original.title if original else "", original.body if original else "",
                "missing", source)


def render_all(notice, shelter_names=None):
    return {tag: render(notice, tag, shelter_names) for tag in languages()}
