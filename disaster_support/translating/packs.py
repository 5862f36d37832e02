"""Packs for translators who work offline: XLIFF 2.0 out, checked on the way back.

A pack holds, for one target language, every text of a live notice still to translate
there (a free-text notice's title and text, a template notice's note), each unit with
its context (what the notice is, its area, when it was written) and the glossary terms
it uses. Coming back, each unit is checked: it belongs to a text that still waits in
that language, it is not empty, it keeps its placeholders and fits the notice's
limits; a unit that drops a glossary term is imported and flagged. Nothing of a
refused notice is written; the others are, in one transaction.
"""

import re
import xml.etree.ElementTree as ET

from ..db import write_transaction
from ..notices import records as notices
from ..notices.render import render
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import languages
from . import glossary

XLIFF = "urn:oasis:names:tc:xliff:document:2.0"
MAX_BYTES = 2 * 1024 * 1024
LIMITS = {"title": notices.MAX_TITLE, "body": notices.MAX_BODY, "note": notices.MAX_NOTE}
_PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]")
_UNIT = re.compile(r"^notice-(\d+)-(title|body|note)$")


def _q(tag):
    return f"{{{XLIFF}}}{tag}"


def pending_texts(db, tag):
    """[(notice, {part: source text})] still to translate into ``tag``."""
    found = []
    for notice in notices.list_notices(db, states=("draft", "scheduled", "published")):
        notice = notices.get_notice(db, notice["id"])
        if notice["source_language"] == tag or not render(notice, tag).needs_translation:
            continue
        if notice["template_id"]:
            parts = {"note": notice["slots"]["note"]}
        else:
            parts = {"title": notice["title"], "body": notice["body"]}
        found.append((notice, parts))
    return found


def export_pack(db, tag, *, context_of):
    """The XLIFF 2.0 document (bytes) of what waits in ``tag``; ``context_of(notice)``
    says in words what the notice is (its title in the source language, its area)."""
    ET.register_namespace("", XLIFF)
    pending = pending_texts(db, tag)
    source = {n["source_language"] for n, _ in pending}
    root = ET.Element(_q("xliff"), {"version": "2.0",
                                     "srcLang": source.pop() if len(source) == 1 else "ja",
                                     "trgLang": tag})
    for notice, parts in pending:
        file = ET.SubElement(root, _q("file"), {"id": f"notice-{notice['id']}",
                                                "original": f"notice/{notice['id']}"})
        for part, text in parts.items():
            unit = ET.SubElement(file, _q("unit"), {"id": f"notice-{notice['id']}-{part}"})
            notes = ET.SubElement(unit, _q("notes"))
            ET.SubElement(notes, _q("note"), {"category": "context"}).text = context_of(notice)
            ET.SubElement(notes, _q("note"), {"category": "source-language"}).text = \
                notice["source_language"]
            ET.SubElement(notes, _q("note"), {"category": "max-length"}).text = \
                str(LIMITS[part])
            for term, target, meaning in glossary.terms_in(text, notice["source_language"],
                                                           tag):
                ET.SubElement(notes, _q("note"), {"category": "glossary"}).text = \
                    f"{term} = {target}" + (f" ({meaning})" if meaning else "")
            segment = ET.SubElement(unit, _q("segment"))
            ET.SubElement(segment, _q("source")).text = text
            ET.SubElement(segment, _q("target")).text = ""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _parse(data):
    if not data or len(data) > MAX_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValidationError({"pack": _l("Not a translation pack of this tool (an XLIFF 2.0 "
                                          "file without a DOCTYPE, at most 2 MB).")})
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as error:
        raise ValidationError({"pack": _l("Not an XML file: %(error)s", error=str(error))}) \
            from error
    if root.tag != _q("xliff") or root.get("version") != "2.0":
        raise ValidationError({"pack": _l("Not an XLIFF 2.0 file.")})
    tag = root.get("trgLang")
    if tag not in languages():
        raise ValidationError({"pack": _l("The pack's target language (trgLang) is not one "
                                          "of this tool's languages.")})
    units = {}
    for unit in root.iter(_q("unit")):
        targets = [t.text or "" for t in unit.iter(_q("target"))]
        units[unit.get("id", "")] = "".join(targets).strip()
    return tag, units


def import_pack(db, data, *, actor, translator):
    """Read a pack back: {"imported": [notice ids], "refused": {unit id: message},
    "flagged": {unit id: [glossary terms dropped]}, "language": tag}."""
    translator = (translator or "").strip()
    if not translator or len(translator) > 100:
        raise ValidationError({"translator": _l("Translator: the name of the person who "
                                                "translated the pack (1 to 100 characters).")})
    tag, units = _parse(data)
    waiting = {n["id"]: (n, parts) for n, parts in pending_texts(db, tag)}
    by_notice, refused, flagged = {}, {}, {}
    for unit_id, target in units.items():
        match = _UNIT.match(unit_id)
        if not match or int(match.group(1)) not in waiting \
                or match.group(2) not in waiting[int(match.group(1))][1]:
            refused[unit_id] = _l("Not a text waiting for translation in this language "
                                  "(translated meanwhile, or not from this tool).")
            continue
        notice_id, part = int(match.group(1)), match.group(2)
        notice, parts = waiting[notice_id]
        source = parts[part]
        if not target:
            continue  # left for later: not an error
        if len(target) > LIMITS[part]:
            refused[unit_id] = _l("At most %(max)s characters; this has %(count)s.",
                                  max=LIMITS[part], count=len(target))
        elif sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(target)):
            refused[unit_id] = _l("The placeholders of the original (%(names)s) must stay "
                                  "as they are.", names=", ".join(
                                      _PLACEHOLDER.findall(source)) or "—")
        else:
            lost = glossary.dropped(source, notice["source_language"], target, tag)
            if lost:
                flagged[unit_id] = [f"{term} → {expected}" for term, expected in lost]
            by_notice.setdefault(notice_id, {})[part] = target
    imported = []
    with write_transaction(db):
        for notice_id, parts in by_notice.items():
            notice, wanted = waiting[notice_id]
            if set(parts) != set(wanted) or any(f"notice-{notice_id}-{p}" in refused
                                                for p in wanted):
                for part in wanted:
                    refused.setdefault(f"notice-{notice_id}-{part}", _l(
                        "The title and the text of a notice come back together."))
                continue
            notices.add_translation(db, notice_id, tag, actor=actor, translator=translator,
                                    **parts)
            imported.append(notice_id)
    return {"imported": imported, "refused": refused, "flagged": flagged, "language": tag}
