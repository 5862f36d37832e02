"""Notice templates and the item vocabulary, loaded from messages/ and checked.

A template that breaks a rule (an unknown slot in a body, a missing required
slot, an unknown language or category) is refused at load time with its file
and the reason, so translators learn of a mistake before evacuees do.
"""

import datetime
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..paths import MESSAGES_DIR
from ..vocabulary import languages, need_categories

SLOT_TYPES = ("place", "date", "time", "time_range", "item", "phone", "note",
              # official information (intake/): filled by its forms and the JMA import
              "areas", "hazard", "places", "intensities", "warnings", "river", "flood_stage")
# slots only the official-information forms fill (the notice form shows them, read-only)
OFFICIAL_SLOTS = frozenset({"areas", "hazard", "places", "intensities", "warnings", "river",
                            "flood_stage"})
# the groups of messages/official.yaml, each a vocabulary of codes with names per language
TERM_GROUPS = ("hazards", "intensity", "warnings", "flood_stages", "rivers")
CAP_CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                  "Transport", "Infra", "CBRNE", "Other")
CAP_URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
# where a notice of the template usually goes: the whole city, or the wards or the
# shelters of its place (optional; without it a draft is proposed for the whole city)
AREA_SUGGESTIONS = ("all", "wards", "shelters")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Template:
    id: str
    category: str
    cap: dict
    slots: dict  # name -> required (bool)
    texts: dict = field(repr=False)  # tag -> {title, body, review}
    area: str | None = None  # one of AREA_SUGGESTIONS, or no suggestion
    # made by the official-information forms and the JMA import (intake/), not offered
    # by the notice form
    official: bool = False

    def text(self, tag):
        return self.texts.get(tag)

    def review(self, tag):
        text = self.texts.get(tag)
        return (text or {}).get("review") or {"status": "missing"}


def _check(path, data):
    where = path.name
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: not a mapping")
    if data.get("id") != path.stem:
        raise TemplateError(f"{where}: id must be {path.stem!r}")
    if data.get("category") not in need_categories():
        raise TemplateError(f"{where}: unknown category {data.get('category')!r}")
    cap = data.get("cap") or {}
    if (cap.get("category") not in CAP_CATEGORIES or cap.get("urgency") not in CAP_URGENCIES
            or cap.get("severity") not in CAP_SEVERITIES):
        raise TemplateError(f"{where}: cap needs category, urgency and severity from CAP 1.2")
    slots = data.get("slots") or {}
    for name, need in slots.items():
        if name not in SLOT_TYPES or need not in ("required", "optional"):
            raise TemplateError(f"{where}: slot {name}: {need!r} (slots: {SLOT_TYPES}; "
                                "required or optional)")
    area = data.get("area")
    if area is not None and area not in AREA_SUGGESTIONS:
        raise TemplateError(f"{where}: area must be one of {AREA_SUGGESTIONS}, not {area!r}")
    official = data.get("official", False)
    if not isinstance(official, bool) or (OFFICIAL_SLOTS & set(slots) and not official):
        raise TemplateError(f"{where}: official must be true or false (true with the "
                            f"slots {sorted(OFFICIAL_SLOTS)})")
    texts = data.get("texts") or {}
    if "ja" not in texts:
        raise TemplateError(f"{where}: a Japanese text is required")
    for tag, text in texts.items():
        if tag not in languages():
            raise TemplateError(f"{where}: unknown language {tag!r}")
        if not isinstance(text, dict) or not text.get("title") or not text.get("body"):
            raise TemplateError(f"{where}: {tag}: title and body are required")
        used = set(_PLACEHOLDER.findall(text["title"] + text["body"]))
        if used - set(slots):
            raise TemplateError(f"{where}: {tag}: undeclared slot(s) {sorted(used - set(slots))}")
        missing = set(slots) - used
        if missing:
            raise TemplateError(f"{where}: {tag}: declared slot(s) {sorted(missing)} not used")
        review = text.get("review") or {}
        if review.get("status") not in ("draft", "translated", "reviewed"):
            raise TemplateError(f"{where}: {tag}: review status must be draft, translated "
                                "or reviewed")
        if review.get("translated_by") and review.get("by") and \
                review["translated_by"].casefold() == review["by"].casefold():
            raise TemplateError(f"{where}: {tag}: reviewed by its own translator")
        if review["status"] == "reviewed" and not (review.get("by") and review.get("at")):
            raise TemplateError(f"{where}: {tag}: a reviewed text needs by and at")
        if isinstance(review.get("at"), datetime.date):
            review["at"] = review["at"].isoformat()
    return Template(id=data["id"], category=data["category"], cap=cap,
                    slots={name: need == "required" for name, need in slots.items()},
                    texts=texts, area=area, official=official)


def _signature(folder):
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in Path(folder).glob("*.yaml")))


def templates(folder=None):
    """All templates by id; files are read again when one changes."""
    folder = Path(folder or MESSAGES_DIR / "notices")
    return _load(str(folder), _signature(folder))


@functools.lru_cache(maxsize=4)
def _load(folder, signature):
    found = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            try:
                data = yaml.safe_load(f)
            except yaml.YAMLError as exc:
                raise TemplateError(f"{path.name}: not valid YAML ({exc})") from None
        template = _check(path, data)
        found[template.id] = template
    return found


@functools.cache
def items():
    """Items a notice may name: id -> {tag: name}."""
    with open(MESSAGES_DIR / "items.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["items"]


@functools.cache
def official_terms():
    """The vocabulary of official information (messages/official.yaml): {group: {code:
    {tag: name}}} for hazards, seismic intensities, JMA warnings, river flood stages
    and rivers; every code is named in every language (checked here)."""
    with open(MESSAGES_DIR / "official.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    tags = set(languages())
    for group in TERM_GROUPS:
        for code, names in data[group].items():
            missing = tags - set(names)
            if missing:
                raise TemplateError(f"official.yaml: {group} {code}: no name in "
                                    f"{sorted(missing)}")
    return {group: {str(code): names for code, names in data[group].items()}
            for group in TERM_GROUPS}
