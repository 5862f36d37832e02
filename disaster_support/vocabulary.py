"""Languages and other shared vocabularies, loaded from data files."""

import functools
import json

from .paths import MESSAGES_DIR


@functools.cache
def languages():
    """The tool's languages in display order, keyed by BCP 47 tag."""
    with open(MESSAGES_DIR / "languages.json", encoding="utf-8") as f:
        data = json.load(f)
    return {entry["tag"]: entry for entry in data["languages"]}


def language_tags():
    return list(languages())


def autonym(tag):
    entry = languages().get(tag)
    return entry["autonym"] if entry else tag
