"""A phone board where the news comes first (issue 18 item 7): one compact language
switcher instead of 16 buttons, safety notices pinned at the top, and a public map that
opens with the list of open shelters (addresses, distances on request) and a folded
legend; checked over HTTP and in a browser at 390×844, with screenshots."""

import os
import re
from pathlib import Path

import pytest
import requests

from disaster_support.audit.log import Actor
from disaster_support.notices import records
from disaster_support.shelters import registry
from disaster_support.vocabulary import languages

from browsers import have_chromium
from conftest import KAMIMIZO, YOKOYAMA

ACTOR = Actor("test", "coordinator", "test")
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("SCREENSHOTS")  # SCREENSHOTS=docs/screenshots keeps them
SCRIPTS = ["vi", "ne", "my", "km", "ja-x-easy"]


def publish(db, template_id, slots=None):
    notice_id = records.create_notice(db, template_id=template_id, slots=slots or {},
                                      source_language="ja", actor=ACTOR)
    records.publish(db, notice_id, actor=ACTOR)
    return notice_id


# --- Over HTTP --------------------------------------------------------------------------

def test_the_board_has_one_compact_language_switcher(app, people):
    page = app.test_client().get(f"/board/{KAMIMIZO}?lang=vi").get_data(as_text=True)
    assert page.count('<details class="lang-switch">') == 1
    switcher = re.search(r'<details class="lang-switch">(.*?)</details>', page, re.S).group(1)
    summary = re.search(r"<summary>(.*?)</summary>", switcher, re.S).group(1)
    assert "Tiếng Việt" in summary  # the current language, in its own script
    links = re.findall(r'<a href="\?lang=([\w-]+)" lang="\1"', switcher)
    assert links == list(languages()) and len(links) == 16
    assert switcher.count('aria-current="true"') == 1
    # no other language links anywhere on the page
    assert len(re.findall(r'href="\?lang=', page)) == 16
    # the switcher comes before the notices
    assert page.index('class="lang-switch"') < page.index("<main>")


def test_a_safety_notice_is_pinned_above_newer_ones(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    safety = publish(db, "aftershock")
    ordinary = publish(db, "water-supply", {"place": f"shelter:{KAMIMIZO}",
                                           "time_range": "15:00-17:30"})
    assert records.is_pinned(records.get_notice(db, safety))
    assert not records.is_pinned(records.get_notice(db, ordinary))
    # the data: newest first (answers.py relies on it); the board: safety first
    ours = (safety, ordinary)
    on_board = [n for n in records.board_notices(db, KAMIMIZO) if n["id"] in ours]
    assert [n["id"] for n in on_board] == [ordinary, safety]
    assert [n["id"] for n in records.board_order(on_board)] == [safety, ordinary]
    page = app.test_client().get(f"/board/{KAMIMIZO}?lang=en").get_data(as_text=True)
    articles = re.findall(r'<article id="n(\d+)" class="([^"]*)"', page)
    assert articles[0] == (str(safety), "template pinned")
    assert articles.index((str(safety), "template pinned")) < articles.index(
        (str(ordinary), "template"))
    # pinned ones only on top, and each notice keeps its date line
    pinned = [i for i, (_, classes) in enumerate(articles) if "pinned" in classes]
    assert pinned == list(range(len(pinned)))
    assert page.count('<p class="published" lang="en">') == len(articles)


def test_the_public_map_lists_open_shelters_with_addresses(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    registry.update_shelter(db, YOKOYAMA, {"status": "closed"}, actor=ACTOR)
    kamimizo = registry.get_shelter(db, KAMIMIZO)
    assert kamimizo["address"]
    page = app.test_client().get("/board/map?lang=vi").get_data(as_text=True)
    listed = re.search(r'<ol class="shelter-list">(.*?)</ol>', page, re.S).group(1)
    assert page.index('class="shelter-list"') < page.index('class="map-frame"')
    item = re.search(rf'<li data-ll="[\d.]+,[\d.]+"><a href="/board/{KAMIMIZO}\?lang=vi" '
                     r'lang="en">([^<]+)</a><span lang="ja">([^<]+)</span>'
                     r'<span class="address" lang="ja">([^<]+)</span></li>', listed)
    assert item, listed[:1000]
    assert item.groups() == ("Kamimizo Junior High School (Kamimizo Chugakko)",
                             kamimizo["name"], kamimizo["address"])
    assert f"/board/{YOKOYAMA}?" not in listed  # closed: not in the list
    # Japanese readers get the Japanese name first
    ja = app.test_client().get("/board/map?lang=ja").get_data(as_text=True)
    assert f'<a href="/board/{KAMIMIZO}?lang=ja">{kamimizo["name"]}</a>' in ja
    # the popups have the address too; the legend is rendered folded
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>',
                     page, re.S).group(1)
    assert kamimizo["address"] in data
    assert re.search(r'<details id="map-legend" class="map-legend">', page)
    assert "geolocation" not in page  # the only script that asks is map.js, on a press


# --- In a browser at 390×844 --------------------------------------------------------------

CHROMIUM = have_chromium()
browser_only = pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(demo_server):
    return demo_server


@pytest.fixture(scope="module")
def board_path(server):
    """A demo shelter's board with notices (the demo's aftershock is for every board)."""
    boards = requests.get(server.url + "/board?lang=en", timeout=10).text
    for path in re.findall(r'href="(/board/[A-Z0-9]+)\?lang=en"', boards):
        if "<article" in requests.get(server.url + path, timeout=10).text:
            return path
    pytest.fail("no demo board with notices")


@pytest.fixture
def phone(browser):
    contexts = []

    def open_page(**options):
        context = browser.new_context(viewport=PHONE, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shots(tmp_path):
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@browser_only
@pytest.mark.parametrize("tag", SCRIPTS)
def test_on_a_phone_the_first_notice_is_on_the_first_screen(phone, server, board_path, tag,
                                                            tmp_path):
    from playwright.sync_api import expect
    page = phone()
    page.goto(f"{server.url}{board_path}?lang={tag}")
    first = page.locator("main article").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box["y"] < PHONE["height"], (tag, box)
    expect(first).to_have_class(re.compile(r"\bpinned\b"))  # the demo's aftershock
    # the 16 languages are folded away, the current one shown
    expect(page.locator(".lang-switch summary .current")).to_have_text(
        languages()[tag]["autonym"])
    expect(page.locator(".langs a").first).to_be_hidden()
    page.screenshot(path=str(shots(tmp_path) / f"board-{tag}.png"))


@browser_only
def test_the_language_switcher_works_by_keyboard(phone, server, board_path):
    from playwright.sync_api import expect
    page = phone()
    page.goto(f"{server.url}{board_path}?lang=vi")
    summary = page.locator(".lang-switch summary")
    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    links = page.locator(".lang-switch .langs a")
    expect(links).to_have_count(16)
    expect(links.first).to_be_visible()
    nepali = page.locator('.lang-switch .langs a[lang="ne"]')
    while not nepali.evaluate("a => a === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?lang=ne$"))
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.locator(".lang-switch summary .current")).to_have_text(
        languages()["ne"]["autonym"])


@browser_only
def test_the_public_map_opens_with_the_open_shelters(phone, server, tmp_path):
    from playwright.sync_api import expect
    # the phone shares a position in Chuo-ku (Sagamihara city hall)
    page = phone(geolocation={"latitude": 35.5714, "longitude": 139.3734},
                 permissions=["geolocation"])
    page.goto(server.url + "/board/map?lang=vi")
    items = page.locator(".shelter-list li[data-ll]")
    expect(items.first).to_be_visible()
    assert items.count() >= 1
    expect(items.first.locator(".address")).not_to_be_empty()
    assert items.first.bounding_box()["y"] < PHONE["height"]
    legend = page.locator("#map-legend")
    expect(legend).to_be_visible()
    expect(legend).not_to_have_attribute("open", re.compile(".*"))
    expect(legend.locator("ul")).to_be_hidden()
    page.screenshot(path=str(shots(tmp_path) / "public-map.png"))
    # distances on request, nearest first
    page.locator("button.locate").click()
    expect(items.first.locator(".distance")).to_have_text(re.compile(r"^\d+,\d km$"))
    distances = [float(t.replace(",", ".").split()[0])
                 for t in items.locator(".distance").all_inner_texts()]
    assert len(distances) == items.count() and distances == sorted(distances)
