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


@functools.cache
def _categories_file():
    with open(MESSAGES_DIR / "need_categories.json", encoding="utf-8") as f:
        return json.load(f)


def need_categories():
    """Need categories in display order, keyed by id."""
    return {entry["id"]: entry for entry in _categories_file()["categories"]}


def skills():
    return list(_categories_file()["skills"])


def category_label(category_id, tag):
    """The category's label in a language (the UI's), else English."""
    labels = need_categories()[category_id]["labels"]
    return labels.get(tag) or labels["en"]


@functools.cache
def desk_vocabulary():
    """The desk's lists (messages/desk.json): {list name: {id: {tag: label}}}, in order:
    channels, topics, referrals, rumour_sources."""
    with open(MESSAGES_DIR / "desk.json", encoding="utf-8") as f:
        data = json.load(f)
    return {name: {entry["id"]: entry["labels"] for entry in data[name]}
            for name in ("channels", "topics", "referrals", "rumour_sources")}


def desk_label(kind, key, tag):
    """A desk list's label in a language, else English (the key if unknown)."""
    labels = desk_vocabulary()[kind].get(key)
    if not labels:
        return key
    return labels.get(tag) or labels.get(tag.split("-")[0]) or labels["en"]
