"""The translation work list: what to translate or review, the most urgent first.

An item's weight is its notice's urgency (its template's CAP urgency; free text as
"Expected") times the people who read that language in the notice's area (by the
places' head counts), plus one so that a language nobody reads yet still has its turn.
"""

from ..notices import records as notices
from ..notices.render import render
from ..notices.templates import templates
from ..vocabulary import languages
from . import review

URGENCY = {"Immediate": 4, "Expected": 3, "Future": 2, "Past": 1, "Unknown": 1}
FREE_TEXT_URGENCY = "Expected"


def work_list(db, *, language=None):
    """[{notice, language, action ("translate" | "review"), state, people, urgency,
    weight, template_text}] of live notices, the heaviest first. Template texts waiting
    for review are one item per template and language, however many notices use it."""
    reviews = review.template_reviews(db)
    items, seen_templates = [], set()
    for notice in notices.list_notices(db, states=("draft", "scheduled", "published")):
        notice = notices.get_notice(db, notice["id"])
        template = templates().get(notice["template_id"] or "")
        urgency = template.cap["urgency"] if template else FREE_TEXT_URGENCY
        people = notices.people_by_language(db, notice)
        for tag in languages():
            if language and tag != language or tag == notice["source_language"]:
                continue
            text = render(notice, tag)
            if text.needs_translation:
                action, state, template_text = "translate", "draft", False
            else:
                state = review.notice_text_state(notice, tag, reviews)
                if state != "translated":
                    continue
                template_text = bool(template) and not text.status == "translated"
                if template_text:
                    if (template.id, tag) in seen_templates:
                        continue
                    seen_templates.add((template.id, tag))
                action = "review"
            weight = URGENCY.get(urgency, 1) * (people.get(tag, 0) + 1)
            items.append({"notice": notice, "language": tag, "action": action,
                          "state": state, "people": people.get(tag, 0), "urgency": urgency,
                          "weight": weight, "template_text": template_text})
    return sorted(items, key=lambda i: (-i["weight"], i["action"] != "translate",
                                        i["notice"]["id"], list(languages()).index(
                                            i["language"])))
