"""Needs answered by information: the published notices that answer a need.

Most needs of foreign evacuees are answered by a notice in their language
(where water is handed out, how to apply for a certificate). For an open need
the notices on its shelter's board are ranked: the same category first, then
those with text in the need's language, then the newest. "Answered with notice"
records the link and resolves the need.
"""

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..notices.render import render
from ..shelters.registry import ValidationError
from ..text import _l
from . import records as needs


def answering_notices(db, need, limit=5):
    """[(notice, text in the need's language, score)] best first."""
    on_board = notices.board_notices(db, need["shelter_id"])
    names = notices.names_for(db, on_board)
    ranked = []
    for notice in on_board:
        text = render(notice, need["language"], names)
        same = notice["category"] == need["category"]
        general = notice["category"] == "information"
        if not (same or general):
            continue
        score = (2 if same else 0) + (1 if text.complete else 0)
        ranked.append((notice, text, score))
    # board_notices lists the newest first; a stable sort keeps that within a score
    ranked.sort(key=lambda item: item[2], reverse=True)
    return ranked[:limit]


def answer_with_notice(db, need_id, notice_id, *, actor):
    with write_transaction(db):
        need = needs.get_need(db, need_id)
        if notice_id not in [n["id"] for n, _, _ in answering_notices(db, need, limit=None)]:
            raise ValidationError({"notice": _l("This notice is not on the board of the "
                                                "need's shelter.")})
        if "resolved" not in needs.TRANSITIONS[need["status"]]:
            raise ValidationError({"status": _l("This need is already closed.")})
        at = utcnow()
        db.execute("INSERT OR IGNORE INTO need_answer VALUES (?, ?, ?, ?)",
                   [need_id, notice_id, at, actor.name])
        needs.apply_transition(db, need_id, "resolved", actor=actor, at=at, only=None,
                          reason=f"answered with notice {notice_id}")
        record(db, actor, "answer", "need", need_id, at=at, after={"notice_id": notice_id})
