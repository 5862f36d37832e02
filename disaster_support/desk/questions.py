"""Questions and answers for everyone (as Oita posted each shelter's questions and
answers for the others): an answered consultation becomes a free-text notice marked
``question_answer``, in Japanese and the asker's language to start. It is reviewed,
translated and published like every notice (the translation list asks for the other
languages), and the boards show it under "Questions people asked"."""

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..shelters.registry import ValidationError
from ..text import _l
from . import consultations

FIELD_LABELS = {
    "question_ja": _l("Question in Japanese"),
    "answer_ja": _l("Answer in Japanese"),
    "question_asker": _l("Question in the asker's language"),
    "answer_asker": _l("Answer in the asker's language"),
}
MAX_QUESTION = 200
MAX_ANSWER = 1500


def _text(values, field, limit, errors, required):
    value = values.get(field)
    if value is not None and not isinstance(value, str):
        errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
        return None
    value = (value or "").strip()
    if required and not value:
        errors[field] = _l("%(field)s: required.", field=FIELD_LABELS[field])
    elif len(value) > limit:
        errors[field] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                           field=FIELD_LABELS[field], max=limit, count=len(value))
    return value or None


def make_question_answer(db, consultation_id, values, *, actor):
    """The Q&A notice (a draft) of an answered consultation; its id. Once: a second
    call returns the same notice."""
    consultation = consultations.get_consultation(db, consultation_id)
    if consultation["qa_notice_id"]:
        return consultation["qa_notice_id"]
    if not consultation["answer"]:
        raise ValidationError({"answer": _l(
            "%(field)s: a consultation becomes a question for everyone once it is answered.",
            field=consultations.FIELD_LABELS["answer"])})
    asker = consultation["language"]
    both = asker not in ("ja", "ja-x-easy")
    errors = {}
    question = _text(values, "question_ja", MAX_QUESTION, errors, True)
    answer = _text(values, "answer_ja", MAX_ANSWER, errors, True)
    asked = _text(values, "question_asker", MAX_QUESTION, errors, both)
    answered = _text(values, "answer_asker", MAX_ANSWER, errors, both)
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        notice_id = notices.create_notice(db, title=question, body=answer,
                                          category="information", source_language="ja",
                                          actor=actor)
        db.execute("UPDATE notice SET question_answer = 1 WHERE id = ?", [notice_id])
        if both:
            notices.add_translation(db, notice_id, asker, title=asked, body=answered,
                                    actor=actor)
        db.execute("UPDATE consultation SET qa_notice_id = ?, updated_at = ?, updated_by = ? "
                   "WHERE id = ?", [notice_id, utcnow(), actor.name, consultation_id])
        record(db, actor, "question_answer", "consultation", consultation_id,
               after={"notice_id": notice_id, "languages": ["ja"] + ([asker] if both else [])})
        return notice_id
