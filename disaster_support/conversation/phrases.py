"""Phrase sets: messages/phrases/sets.yaml (order, pictograms, needs, answers) and
one file of texts per language (en.yaml, vi.yaml...), each with its review status,
as for notice templates. Checked when read: a missing text or an unknown need
category is an error that names the file and the phrase."""

import functools
from dataclasses import dataclass, field

import yaml

from ..needs.records import URGENCIES
from ..paths import MESSAGES_DIR
from ..vocabulary import languages, need_categories

FOLDER = MESSAGES_DIR / "phrases"
REVIEW_STATUSES = ("draft", "reviewed")
BODY_PARTS = ("head", "eye", "ear", "tooth", "throat", "chest", "stomach", "back", "arm", "leg")


class PhraseError(ValueError):
    pass


@dataclass(frozen=True)
class Phrase:
    id: str
    set: str
    need: str | None = None  # a need category: the phrase can be recorded as a need
    urgency: str = "normal"
    answers: str | None = None  # an answer list, or "numbers"
    body: str | None = None  # where it hurts, on the body pictogram


@dataclass(frozen=True)
class PhraseSet:
    id: str
    pictogram: str
    phrases: tuple
    body: bool = False


@dataclass(frozen=True)
class Catalog:
    sets: tuple
    phrases: dict  # id -> Phrase
    answer_lists: dict
    texts: dict = field(repr=False)  # tag -> {"sets": {...}, "phrases": {...}, "review": {...}}

    def text(self, tag, phrase_id):
        return self.texts[tag]["phrases"][phrase_id]

    def set_title(self, tag, set_id):
        return self.texts[tag]["sets"][set_id]

    def review(self, tag):
        return self.texts[tag].get("review", {}).get("status", "draft")


def _load_yaml(path):
    with open(path, encoding="utf-8") as f:
        # libyaml when there: ten times faster than the pure-Python loader
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _structure(folder):
    data = _load_yaml(folder / "sets.yaml")
    categories = need_categories()
    sets, phrases = [], {}
    for entry in data["sets"]:
        ids = []
        for item in entry["phrases"]:
            item = {"id": item} if isinstance(item, str) else dict(item)
            phrase_id = item.pop("id")
            if not isinstance(phrase_id, str) or phrase_id in phrases:
                raise PhraseError(f"sets.yaml: {entry['id']}: phrase {phrase_id!r} is not a "
                                  "unique name")
            if item.get("need") is not None and item["need"] not in categories:
                raise PhraseError(f"sets.yaml: {phrase_id}: need {item['need']!r} is not a "
                                  "need category")
            if item.get("urgency", "normal") not in URGENCIES:
                raise PhraseError(f"sets.yaml: {phrase_id}: urgency {item['urgency']!r}")
            if item.get("body") is not None and item["body"] not in BODY_PARTS:
                raise PhraseError(f"sets.yaml: {phrase_id}: body {item['body']!r}")
            if item.get("answers") not in (None, "numbers", *data.get("answer_lists", {})):
                raise PhraseError(f"sets.yaml: {phrase_id}: answers {item['answers']!r}")
            phrases[phrase_id] = Phrase(id=phrase_id, set=entry["id"], **item)
            ids.append(phrase_id)
        sets.append(PhraseSet(id=entry["id"], pictogram=entry["pictogram"], phrases=tuple(ids),
                              body=bool(entry.get("body"))))
    answer_lists = {k: tuple(v) for k, v in (data.get("answer_lists") or {}).items()}
    for name, ids in answer_lists.items():
        for phrase_id in ids:
            if phrase_id not in phrases:
                raise PhraseError(f"sets.yaml: answer list {name}: unknown phrase {phrase_id!r}")
    return tuple(sets), phrases, answer_lists


def check_language(tag, folder=FOLDER):
    """Problems of one language's file, as messages ([] when complete)."""
    sets, phrases, _ = _structure(folder)
    path = folder / f"{tag}.yaml"
    if not path.exists():
        return [f"{path.name}: missing"]
    data = _load_yaml(path) or {}
    problems = []
    if data.get("language") != tag:
        problems.append(f"{path.name}: language must be {tag}")
    if (data.get("review") or {}).get("status") not in REVIEW_STATUSES:
        problems.append(f"{path.name}: review status: draft or reviewed")
    for set_ in sets:
        if not str((data.get("sets") or {}).get(set_.id) or "").strip():
            problems.append(f"{path.name}: set {set_.id}: no title")
    texts = data.get("phrases") or {}
    for phrase_id in phrases:
        if not str(texts.get(phrase_id) or "").strip():
            problems.append(f"{path.name}: phrase {phrase_id}: no text")
    for extra in sorted(set(texts) - set(phrases)):
        problems.append(f"{path.name}: phrase {extra}: not in sets.yaml")
    return problems


@functools.cache
def catalog(folder=FOLDER):
    sets, phrases, answer_lists = _structure(folder)
    problems = [p for tag in languages() for p in check_language(tag, folder)]
    if problems:
        raise PhraseError("; ".join(problems[:10]))
    texts = {tag: _load_yaml(folder / f"{tag}.yaml") for tag in languages()}
    for tag, data in texts.items():
        data["phrases"] = {k: str(v).strip() for k, v in data["phrases"].items()}
    return Catalog(sets=sets, phrases=phrases, answer_lists=answer_lists, texts=texts)
