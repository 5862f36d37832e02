"""Every language shown as supported is complete, and chosen the right way."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from disaster_support.i18n import ui_languages
from disaster_support.vocabulary import languages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def catalogs():
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def test_the_template_holds_every_string_of_the_code(tmp_path):
    """The committed messages.pot is what pybabel extracts from the code now."""
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2",
                    "--no-location",
                    "--sort-output", "-o", str(fresh), "."], cwd=ROOT, check=True,
                   capture_output=True)
    ids = lambda path: {(m.context, m.id if isinstance(m.id, str) else m.id[0])
                        for m in read_po(path.open("rb")) if m.id}
    assert ids(fresh) == ids(TRANSLATIONS / "messages.pot")


def messages(catalog):
    """What a catalog means: each translated message's string (or plural forms) by
    context and id. The header (tool, dates) is not part of it."""
    as_tuple = lambda value: value if isinstance(value, str) else tuple(value)
    found = {}
    for m in catalog:
        if m.id and not m.fuzzy:
            context, key = m.context, as_tuple(m.id)
            if isinstance(context, bytes):  # older Babel releases read it undecoded
                context = context.decode(catalog.charset or "utf-8")
            found[context, key] = as_tuple(m.string)
    return found


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: p.parts[-3])
def test_each_catalog_is_complete_not_fuzzy_and_compiled(po):
    template = {m.id if isinstance(m.id, str) else m.id[0]
                for m in read_po((TRANSLATIONS / "messages.pot").open("rb")) if m.id}
    catalog = read_po(po.open("rb"))
    present = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        present[key] = message
        assert not message.fuzzy, f"fuzzy: {key}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {key}"
        for placeholder in re.findall(r"%\(\w+\)s", key):
            assert all(placeholder in s for s in strings), f"{placeholder} lost in: {key}"
    assert template - set(present) == set(), "missing strings"
    # The committed .mo says what the .po says: compared by messages, never by the bytes
    # of one Babel release's output (its header names the release that wrote it).
    compiled = read_mo(po.with_suffix(".mo").open("rb"))
    assert compiled.plural_forms == catalog.plural_forms, "run: disaster-support catalogs"
    source, served = messages(catalog), messages(compiled)
    stale = sorted(str(key) for key in source.keys() | served.keys()
                   if source.get(key) != served.get(key))
    assert stale == [], "run: disaster-support catalogs"


def test_supported_languages_are_those_with_complete_catalogs():
    tags = ui_languages()
    assert tags[0] == "ja" and "en" in tags
    for tag in tags:
        assert tag == "en" or (TRANSLATIONS / languages()[tag]["locale"] / "LC_MESSAGES" /
                               "messages.mo").exists()


def test_accept_language_then_choice_remembered(app, client):
    assert 'lang="ja"' in client.get("/about").get_data(as_text=True)  # default: Japanese
    page = client.get("/about", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True)
    assert '<html lang="en">' in page and "About this tool" in page
    client.get("/about?lang=ja")
    page = client.get("/about", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in page  # the explicit choice beats Accept-Language


def test_a_users_choice_follows_them_to_another_device(app, people, db):
    from conftest import sign_in

    first = sign_in(app.test_client(), "coordinator")
    first.get("/?lang=en")
    assert db.execute("SELECT language FROM user WHERE username = 'coordinator'"
                      ).fetchone()[0] == "en"
    other = sign_in(app.test_client(), "coordinator")  # no cookie, Accept-Language: none
    assert '<html lang="en">' in other.get("/shelters/").get_data(as_text=True)


def test_language_menu_names_each_language_in_its_own_script(client):
    page = client.get("/about?lang=en").get_data(as_text=True)
    for tag in ui_languages():
        assert f'hreflang="{tag}"' in page
        assert languages()[tag]["autonym"] in page


PAGES = ("/", "/shelters/", "/shelters/E1415000004111", "/about", "/nope", "/devices",
         "/audit", "/admin/users", "/sign-in", "/account/password", "/account", "/needs",
         "/needs/1", "/situation", "/shelters/E1415000004111/tablet", "/notices",
         "/notices/new", "/notices/new?template=water-supply", "/notices/2",
         "/notices/translations", "/board", "/board/E1415000004111", "/map",
         "/map?language=vi", "/board/map", "/drills", "/offline",
         "/exports", "/shelters/E1415000004111/talk", "/shelters/E1415000004111/talk/vi/food",
         "/desk/", "/desk/rumours", "/desk/handover", "/desk/daily", "/desk/help", "/patrols",
         "/patrols/1", "/shelters/new", "/board/report", "/reports/")


@pytest.mark.parametrize("tag", ui_languages())
def test_every_page_is_translated(demo_app, admin, tag):
    """No English UI string is left on a page shown in another language."""
    from babel.messages.pofile import read_po as read

    if tag == "en":
        return
    english = {m.id for m in read((TRANSLATIONS / "messages.pot").open("rb"))
               if isinstance(m.id, str) and len(m.id) > 3 and "%" not in m.id}
    for url in PAGES:
        response = admin.get(url, headers={"Accept-Language": tag})
        assert response.status_code in (200, 404), url
        page = response.get_data(as_text=True)
        text = re.sub(r"<[^>]+>", "\n", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page,
                                               flags=re.S))
        lines = {line.strip() for line in text.splitlines()}
        assert not (english & lines), (url, english & lines)


def test_numbers_and_times_follow_the_locale(demo_app, coordinator, db):
    db.execute("UPDATE shelter SET updated_at = '2026-11-25T06:05:00+00:00' "
               "WHERE id = 'E1415000004111'")
    en = coordinator.get("/shelters/E1415000004111?lang=en").get_data(as_text=True)
    assert "11/25/26, 3:05\u202fPM" in en or "11/25/26, 3:05 PM" in en  # Asia/Tokyo
    ja = coordinator.get("/shelters/E1415000004111?lang=ja").get_data(as_text=True)
    assert "2026/11/25 15:05" in ja
