"""The safe publish flow: what the check page shows before a notice goes on the
boards, and the confirmation that publishes exactly what was checked, once.

The check page carries a fingerprint of what it showed (every language's text and
state, the area, the validity). Confirming recomputes it inside the write
transaction: if the notice was changed meanwhile (another coordinator, a new
translation) nothing is published and the page is shown again; if the same
confirmation comes twice (a retry, a double tap) the second one changes nothing.
"""

import hashlib
import json

from ..db import write_transaction
from ..shelters.registry import ValidationError
from ..text import _l
from . import records
from .render import render_all
from .templates import templates

BOARD_LINKS = 5  # a banner names at most this many boards; more: the boards index


class NoticeChanged(ValidationError):
    """What the notice would say now is not what the coordinator checked."""


def check(db, notice_id, *, area_kind, area=(), valid_from=None, valid_until=None):
    """Everything the check page shows; nothing is written. ValidationError names
    the field (area_kind, area, valid_from, valid_until, status)."""
    notice = records.get_notice(db, notice_id)
    if notice["status"] == "withdrawn":
        raise ValidationError({"status": _l("A withdrawn notice cannot be published.")})
    area = records.check_area(db, area_kind, list(area))
    start, end = records.check_validity(valid_from, valid_until)
    texts = render_all(notice, records.names_for(db, [notice]))
    template = templates().get(notice["template_id"] or "")
    return {
        "notice": notice, "template": template, "area_kind": area_kind, "area": area,
        "places": places(db, area_kind, area), "valid_from": start, "valid_until": end,
        "texts": texts,
        "missing": [tag for tag, text in texts.items() if text.needs_translation],
        "checked": fingerprint(notice, texts, area_kind, area, start, end),
    }


def places(db, area_kind, area):
    """The shelters of a shelter area, [{id, name, name_kana, ward}] by reading; []
    for the whole city or wards (the page names wards from the city profile)."""
    if area_kind != "shelters" or not area:
        return []
    return [dict(r) for r in db.query(
        "SELECT id, name, name_kana, ward FROM shelter WHERE id IN "
        f"({', '.join('?' * len(area))}) ORDER BY coalesce(name_kana, name), id", area)]


def fingerprint(notice, texts, area_kind, area, start, end):
    """What the coordinator saw, as a short digest: not the version or the state,
    so that a retry after publishing still matches."""
    seen = {
        "notice": notice["id"],
        "texts": {tag: [t.raw_title, t.raw_body, t.status, t.pending_note]
                  for tag, t in texts.items()},
        "area": [area_kind, area], "valid": [start, end],
    }
    return hashlib.sha256(json.dumps(seen, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def confirm(db, notice_id, *, checked, actor, area_kind, area=(), valid_from=None,
            valid_until=None):
    """Publish what the check page showed, in one transaction. True when published,
    False when it already was with these settings (a retry); NoticeChanged when the
    notice no longer says what was checked."""
    with write_transaction(db):
        shown = check(db, notice_id, area_kind=area_kind, area=area, valid_from=valid_from,
                      valid_until=valid_until)
        if shown["checked"] != checked:
            raise NoticeChanged({"checked": _l(
                "The notice changed since you checked it: check it again, then publish.")})
        if _already_published(shown):
            return False
        records.publish(db, notice_id, actor=actor, area_kind=area_kind, area=shown["area"],
                        valid_from=shown["valid_from"], valid_until=shown["valid_until"])
    return True


def _already_published(shown):
    notice = shown["notice"]
    if notice["status"] != "published" or notice["area_kind"] != shown["area_kind"] \
            or notice["area"] != shown["area"] or notice["valid_until"] != shown["valid_until"]:
        return False
    if shown["valid_from"] is None:  # "from now": it is on the boards already
        return notice["valid_from"] <= records._now()
    return notice["valid_from"] == shown["valid_from"]


def boards(db, notice):
    """The boards of a notice to shelters, [(shelter id, name)]; [] for a ward or the
    whole city (too many boards to name: the boards index lists them)."""
    if notice["area_kind"] != "shelters":
        return []
    return [(p["id"], p["name"]) for p in places(db, "shelters", notice["area"])]
