"""Translations checked by a second person.

A text moves draft → translated → reviewed. For a notice, draft is "not yet
translated", translated is a person's translation (notice_translation), reviewed is
the same row with a reviewer, never its translator. For a template (the data files:
messages/notices/*.yaml), the file's review status counts (draft, translated with
translated_by, reviewed with by and at), and a review made here is kept for that text
exactly (its digest): when the file's text changes, it is a draft for review again.
"""

import hashlib

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..notices.templates import templates
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import languages

STATES = {"draft": _l("Draft: not yet translated"), "translated": _l("Translated: to review"),
          "reviewed": _l("Reviewed")}


def _same_person(a, b):
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def notice_text_state(notice, tag, reviews=None):
    """draft / translated / reviewed of a notice's text in ``tag`` (its own language
    and a template's reviewed text without a note count as reviewed)."""
    translation = notice.get("translations", {}).get(tag)
    if tag == notice["source_language"]:
        return "reviewed"
    if notice["template_id"] and not notice["slots"].get("note"):
        return template_text_state_of(notice["template_id"], tag, reviews)
    if not translation:
        return "draft"
    return "reviewed" if translation["reviewed_by"] else "translated"


def review_notice_translation(db, notice_id, language, *, actor):
    """The reviewer confirms a translation; refused for its own translator."""
    with write_transaction(db):
        notice = notices.get_notice(db, notice_id)
        translation = notice["translations"].get(language)
        if translation is None:
            raise ValidationError({"language": _l("There is no translation in this language "
                                                  "to review yet.")})
        if _same_person(translation["translated_by"], actor.name):
            raise ValidationError({"reviewer": _l(
                "A translation is reviewed by someone other than its translator "
                "(%(name)s). Ask a colleague to review it.", name=translation["translated_by"])})
        now = utcnow()
        db.execute("UPDATE notice_translation SET reviewed_by = ?, reviewed_at = ? "
                   "WHERE notice_id = ? AND language = ?", [actor.name, now, notice_id,
                                                            language])
        record(db, actor, "review_translation", "notice", notice_id, at=now,
               after={"language": language, "translated_by": translation["translated_by"]})


# --- Templates ----------------------------------------------------------------------------

def digest(text):
    return hashlib.sha256(f"{text['title']}\x00{text['body']}".encode()).hexdigest()[:32]


def template_text_state_of(template_id, tag, reviews=None):
    template = templates().get(template_id)
    text = template.text(tag) if template else None
    if text is None:
        return "draft"
    status = template.review(tag)["status"]
    if status == "reviewed":
        return "reviewed"
    if reviews is not None and (template_id, tag, digest(text)) in reviews:
        return "reviewed"
    return "translated"  # written (a draft in the file) and waiting for a review


def template_reviews(db):
    return {(t, tag, d) for t, tag, d in db.execute(
        "SELECT template_id, language, digest FROM template_review")}


def review_template_text(db, template_id, language, *, actor):
    template = templates().get(template_id)
    if template is None or template.text(language) is None or language not in languages():
        raise ValidationError({"template_id": _l("Template: choose one from the list.")})
    translator = template.review(language).get("translated_by")
    if translator and _same_person(translator, actor.name):
        raise ValidationError({"reviewer": _l(
            "A translation is reviewed by someone other than its translator "
            "(%(name)s). Ask a colleague to review it.", name=translator)})
    now = utcnow()
    with write_transaction(db):
        db.execute("INSERT OR IGNORE INTO template_review (template_id, language, digest, "
                   "reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?)",
                   [template_id, language, digest(template.text(language)), actor.name, now])
        record(db, actor, "review_translation", "template", None, at=now,
               after={"template_id": template_id, "language": language})
