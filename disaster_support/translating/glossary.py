"""Fixed terms (messages/glossary.yaml): which of them a text uses, and which a
translation dropped."""

import functools
import unicodedata

import yaml

from ..paths import MESSAGES_DIR


@functools.cache
def glossary():
    """{Japanese term: {"note", tag: term}}."""
    with open(MESSAGES_DIR / "glossary.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["terms"]


def _term(entry, japanese, tag):
    return japanese if tag == "ja" else entry.get(tag)


def _contains(text, term):
    fold = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFKC", term).casefold() in fold


def terms_in(text, source_tag, target_tag):
    """[(source term, target term, note)] of the glossary found in ``text``."""
    found = []
    for japanese, entry in glossary().items():
        source, target = _term(entry, japanese, source_tag), _term(entry, japanese, target_tag)
        if source and target and _contains(text, source):
            found.append((source, target, entry.get("note", "")))
    return found


def dropped(source_text, source_tag, translation, target_tag):
    """The glossary terms the source uses that the translation does not: [(source term,
    the term expected)]."""
    return [(source, target) for source, target, _ in terms_in(source_text, source_tag,
                                                               target_tag)
            if not _contains(translation, target)]
