"""The user-interface catalogs: extract, update and compile in one step.

Easy Japanese (ja-x-easy) is not a Babel locale, so pybabel's own update
cannot handle its folder; this does, with Japanese plural rules.
"""

import io
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .paths import PROJECT_ROOT, TRANSLATIONS_DIR
from .vocabulary import languages

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_pgettext": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}
METHODS = [("disaster_support/**.py", "python"),
           ("disaster_support/templates/**.html", "jinja2")]


def extract(root=PROJECT_ROOT):
    template = Catalog(project="disaster-support", copyright_holder="disaster_support contributors")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), METHODS, keywords=KEYWORDS, options_map={"**.html": {}}):
        template.add(message, None, [], auto_comments=comments, context=context)
    return template


def catalogs():
    """(tag, folder name, Babel locale for plural rules) of every translated language."""
    for tag, entry in languages().items():
        if tag == "en":
            continue  # the source language
        yield tag, entry["catalog"], entry["locale"]


def update(root=PROJECT_ROOT, translations=TRANSLATIONS_DIR):
    """Write messages.pot and bring every catalog up to it; return missing counts."""
    template = extract(root)
    with open(Path(translations) / "messages.pot", "wb") as f:
        write_po(f, template, width=76, no_location=True, sort_output=True)
    missing = {}
    for tag, folder, locale in catalogs():
        path = Path(translations) / folder / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with open(path, "rb") as f:
                catalog = read_po(f, locale=locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=Locale.parse(locale), project="disaster-support")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(path, "wb") as f:
            write_po(f, catalog, width=76, no_location=True, sort_output=True)
        missing[tag] = sum(1 for m in catalog if m.id and not _translated(m))
    return missing


def _translated(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def compile_all(translations=TRANSLATIONS_DIR, only=None):
    """Compile every complete catalog; an incomplete one is not compiled (and so
    its language is not offered): a language shown as supported is complete."""
    done = []
    for tag, folder, locale in catalogs():
        if only and tag != only:
            continue
        po = Path(translations) / folder / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        with open(po, "rb") as f:
            catalog = read_po(f, locale=locale)
        if all(_translated(m) for m in catalog if m.id):
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            mo.write_bytes(buffer.getvalue())
            done.append(tag)
        elif mo.exists():
            mo.unlink()
    return done


def _catalog_path(tag, translations=TRANSLATIONS_DIR):
    return Path(translations) / languages()[tag]["catalog"] / "LC_MESSAGES" / "messages.po"


def export_missing(tag, translations=TRANSLATIONS_DIR):
    """The strings still to translate, as a list of dicts (for a translator's file)."""
    with open(_catalog_path(tag, translations), "rb") as f:
        catalog = read_po(f, locale=languages()[tag]["locale"])
    rows = []
    for message in catalog:
        if message.id and not _translated(message):
            plural = isinstance(message.id, tuple)
            rows.append({"context": message.context,
                         "msgid": message.id[0] if plural else message.id,
                         "msgid_plural": message.id[1] if plural else None,
                         "msgstr": ""})
    return rows


def import_translations(tag, rows, translations=TRANSLATIONS_DIR):
    """Put translated rows (as exported, with msgstr filled) into the catalog."""
    path = _catalog_path(tag, translations)
    locale = languages()[tag]["locale"]
    with open(path, "rb") as f:
        catalog = read_po(f, locale=locale)
    placed = 0
    for row in rows:
        key = (row["msgid"], row["msgid_plural"]) if row.get("msgid_plural") else row["msgid"]
        message = catalog.get(key if isinstance(key, str) else key[0],
                              context=row.get("context"))
        if message is None or not row.get("msgstr"):
            continue
        if isinstance(message.id, tuple):
            forms = row["msgstr"] if isinstance(row["msgstr"], list) else [row["msgstr"]]
            count = catalog.num_plurals
            message.string = tuple((forms + [forms[-1]] * count)[:count])
        else:
            message.string = row["msgstr"]
        message.flags.discard("fuzzy")
        placed += 1
    with open(path, "wb") as f:
        write_po(f, catalog, width=76, no_location=True, sort_output=True)
    return placed
