"""In a real browser (headless Chromium): offline-clean pages that work by touch."""

import os
import re
from urllib.parse import urlparse

import pytest
import requests

from browsers import CHROMIUM, CHROMIUM_ARGS, Server, have_chromium

if not have_chromium():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from test_maps import tiny_mbtiles  # noqa: E402

PAGES = ["/", "/needs", "/situation", "/situation?ward=midori", "/needs/1",
         "/shelters/E1415000004111/tablet", "/shelters/", "/shelters/?kind=designated_shelter&sort=occupancy",
         "/shelters/E1415000004111", "/about", "/?lang=en", "/shelters/NOPE", "/devices",
         "/audit", "/admin/users", "/account/password", "/api/v1/openapi.json",
         "/map", "/map?language=vi", "/board/map", "/board/map?lang=ne", "/drills", "/exports",
         "/shelters/E1415000004111/talk", "/shelters/E1415000004111/talk/my/health",
         "/shelters/E1415000004111/talk/vi/questions"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``disaster-support serve --demo`` as a user starts it; what it prints is read."""
    tiles = tmp_path_factory.mktemp("tiles") / "sagamihara.mbtiles"
    tiny_mbtiles(tiles)
    server = Server(tmp_path_factory.mktemp("browser"))
    server.start("--demo", "--tiles", str(tiles))
    yield {"url": server.url, "passwords": server.passwords, "tablet_link": server.tablet}
    server.stop()


def refuse_outside(base, outside):
    """A route handler: requests to the app go on; any other is noted and refused."""
    def route(r):
        if urlparse(r.request.url).netloc != urlparse(base).netloc:
            outside.append(r.request.url)
            return r.abort()
        return r.continue_()

    return route


@pytest.fixture
def page_watch(browser, live_server):
    """A page that refuses any request outside the app and records problems."""
    outside, problems, contexts = [], [], []
    base = live_server["url"]

    def open_page(width=1280, height=800, user="coordinator"):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.route("**/*", refuse_outside(base, outside))
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        if user:
            page.goto(base + "/sign-in")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", live_server["passwords"][user])
            page.click("button.primary")
            page.wait_for_load_state()
        return page

    yield open_page, outside, problems
    # a coordinator's page holds a live stream (a server thread) until it is closed
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768), (1280, 800), (800, 1280)])
def test_every_page_loads_with_nothing_from_outside(page_watch, live_server, size):
    open_page, outside, problems = page_watch
    page = open_page(*size, user="admin")
    for path in PAGES:
        response = page.goto(live_server["url"] + path)
        assert response.status in (200, 404), path
        # nothing wider than the screen but the scrollable tables
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, size, overflow)
    assert outside == []
    assert [p for p in problems if "404" not in p] == []


def test_touch_targets_are_at_least_48px(page_watch, live_server):
    open_page, _, _ = page_watch
    page = open_page(768, 1024)
    page.goto(live_server["url"] + "/shelters/E1415000004111")
    heights = page.eval_on_selector_all(
        "form.update select, form.update input:not([type=checkbox]):not([type=hidden]), "
        "form.update button, header nav a",
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 48


@pytest.mark.parametrize("size", [(768, 1024), (1280, 800)])
def test_a_tablet_joins_by_link_and_records_a_need_in_three_taps(page_watch, live_server, size):
    open_page, outside, problems = page_watch
    page = open_page(*size, user=None)
    page.goto(live_server["tablet_link"] + "?lang=en")
    page.tap("button.primary")  # Join
    page.wait_for_selector("form.need-form")
    shelter_id = page.url.split("/shelters/")[1].split("/")[0]
    token = live_server["tablet_link"].rsplit("/", 1)[1]
    api = f"{live_server['url']}/api/v1/needs?shelter_id={shelter_id}&category=interpretation"
    before = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5).json()

    # touch targets: every tile and button at least 48 px high
    heights = page.eval_on_selector_all(
        ".need-form .tile, .need-form button, .jump a, form.headcount input, "
        "form.headcount button",
        "els => els.filter(e => e.getClientRects().length)"  # shown, not folded away
        "          .map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 48
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1

    page.tap("label.tile:has(input[value=interpretation])")      # 1: what
    page.tap(".languages label.tile:has(input[value=ne])")        # 2: language
    page.tap("button[name=people][value='3']")                    # 3: how many: saves
    page.wait_for_selector(".flash")
    assert "Recorded: Interpreter · नेपाली · 3 people" in page.inner_text(".flash")
    after = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert after["count"] == before["count"] + 1
    assert any(n["language"] == "ne" and n["people"] == 3 for n in after["needs"])

    page.fill("form.headcount input[name=evacuees]", "777")
    page.tap("form.headcount button.primary")
    page.wait_for_selector("#tablet-message:has-text('Head counts saved')")
    shelter = requests.get(f"{live_server['url']}/api/v1/shelters/{shelter_id}",
                           headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert shelter["evacuees"] == 777
    # the tablet sees its own shelter only
    other = "E1415000004111" if shelter_id != "E1415000004111" else "E1415000006111"
    assert page.goto(live_server["url"] + f"/shelters/{other}/tablet").status == 403
    assert outside == [] and [p for p in problems if "403" not in p] == []


def test_the_tablet_page_is_light(page_watch, live_server):
    """Everything the tablet page loads, without cache, stays under 100 KB."""
    open_page, outside, _ = page_watch
    page = open_page(768, 1024, user=None)
    page.goto(live_server["tablet_link"])
    page.tap("button.primary")
    page.wait_for_selector("form.need-form")
    sizes = []
    page.on("response", lambda r: sizes.append(len(r.body())))
    page.reload()
    page.wait_for_load_state("networkidle")
    assert sizes and sum(sizes) < 100_000, sum(sizes)
    assert outside == []


def test_language_menu_switches_and_remembers(page_watch, live_server):
    open_page, _, _ = page_watch
    page = open_page()
    page.goto(live_server["url"] + "/")
    page.click("details.languages summary")
    page.click("details.languages a[hreflang=en]")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(live_server["url"] + "/shelters/")
    assert page.get_attribute("html", "lang") == "en"
    assert "Shelters" in page.inner_text("h1")


def test_the_situation_prints_on_one_a4_page(page_watch, live_server):
    open_page, outside, _ = page_watch
    page = open_page(1280, 800)
    page.goto(live_server["url"] + "/situation?lang=en")
    assert page.locator("table.matrix td a").count() > 10  # the demo's needs are there
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1
    assert outside == []


def decode_qr_codes(png_bytes):
    import io

    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(png_bytes))
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def pdf_pages_as_png(pdf_bytes, scale=2):
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(pdf_bytes)
    pages = []
    for page in document:
        buffer = io.BytesIO()
        page.render(scale=scale).to_pil().save(buffer, format="PNG")
        pages.append(buffer.getvalue())
    return pages


def test_a_notice_poster_prints_and_its_qr_code_opens_the_board(page_watch, live_server):
    open_page, outside, _ = page_watch
    page = open_page(1280, 800)
    page.goto(live_server["url"] + "/notices?lang=en")
    # the newest published demo notice (a draft, such as the rumour's answer, has no poster)
    page.click("table tr:has(.state-published) a >> nth=0")
    poster_link = page.locator("ul.poster-links a").first
    href = poster_link.get_attribute("href")
    shelter_id = href.split("/shelters/")[1].split("/")[0]
    page.goto(live_server["url"] + href + "?langs=vi,ja-x-easy")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = pdf_pages_as_png(pdf)
    assert len(pages) >= 1
    # a long notice (the demo's newest is an evacuation order) takes a page per language
    codes = sorted(code for png in pages for code in decode_qr_codes(png))
    base = live_server["url"]
    assert codes == sorted([f"{base}/board/{shelter_id}?lang=vi",
                            f"{base}/board/{shelter_id}?lang=ja-x-easy"])
    # the code leads to the board in that language
    board = open_page(390, 844, user=None)
    board.goto(codes[-1])
    assert board.get_attribute("html", "lang") in ("vi", "ja-x-easy")
    assert outside == []


def test_the_wall_sheet_has_a_code_per_language(page_watch, live_server):
    open_page, outside, _ = page_watch
    page = open_page(1280, 800)
    page.goto(live_server["url"] + "/shelters/E1415000004111/sheet")
    page.wait_for_load_state("networkidle")
    pdf = page.pdf(prefer_css_page_size=True)
    pages = pdf_pages_as_png(pdf, scale=3)
    assert len(pages) == 1  # one A4 sheet for the wall
    codes = decode_qr_codes(pages[0])
    assert len(codes) == 17  # one large, and one for each of the 16 languages
    assert f"{live_server['url']}/board/E1415000004111?lang=my" in codes
    assert outside == []


def map_ready(page):
    page.wait_for_selector("html[data-map-ready]", state="attached", timeout=20_000)


@pytest.mark.parametrize("size", [(1280, 800), (768, 1024)])
def test_the_coordinators_map_shows_shelters_needs_and_volunteers(page_watch, live_server, size):
    open_page, outside, problems = page_watch
    page = open_page(*size, user="coordinator")
    page.goto(live_server["url"] + "/map?lang=en")
    map_ready(page)
    # markers are drawn: groups when zoomed out, single circles where alone
    shown = page.locator(".leaflet-marker-icon.shelter-cluster").count() + page.locator("path.shelter").count()
    assert shown >= 5
    box = page.locator(".folium-map").bounding_box()
    marker = page.locator(".leaflet-marker-icon.shelter-cluster, path.shelter").first.bounding_box()
    assert box["x"] <= marker["x"] <= box["x"] + box["width"]
    assert box["y"] <= marker["y"] <= box["y"] + box["height"]
    assert page.locator(".leaflet-bottom .map-legend.leaflet-control").is_visible()
    assert sorted(page.locator(".ward-label").all_inner_texts()) == [
        "Chuo-ku", "Midori-ku", "Minami-ku"]
    assert len(page.screenshot()) > 10_000

    # a shelter's popup: its name, status, needs and a link to its page
    page.locator("path.shelter").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content .map-popup")
    popup.wait_for()
    assert popup.locator("h3").inner_text()
    assert popup.locator(".status").inner_text() in ("Open", "Full", "Preparing", "Closed")
    assert popup.locator("a[href^='/shelters/']").count() == 1
    page.keyboard.press("Escape")

    # one language's unmet needs: the badges add up to the count in the menu
    option = page.locator("#need-language option[value=vi]").inner_text()
    expected = int(option.split("·")[1].split()[0])
    page.select_option("#need-language", "vi")
    page.wait_for_selector(".leaflet-marker-icon.need-badge")
    counts = page.locator(".leaflet-marker-icon.need-badge").all_inner_texts()
    assert sum(int(c) for c in counts) == expected
    assert "language=vi" in page.url
    assert "Unmet needs: Vietnamese" in page.inner_text(".leaflet-control-layers")

    # volunteers checked in: a layer of their own, off until asked for
    assert page.locator(".leaflet-marker-icon.volunteer-badge").count() == 0
    page.locator(".leaflet-control-layers label", has_text="Volunteers checked in").click()
    page.wait_for_selector(".leaflet-marker-icon.volunteer-badge")
    assert page.locator(".leaflet-marker-icon.volunteer-badge").count() >= 1

    assert outside == [] and problems == []


def test_tiles_come_from_the_local_mbtiles_file(page_watch, live_server):
    open_page, outside, problems = page_watch
    page = open_page(1280, 800, user="coordinator")
    page.goto(live_server["url"] + "/map")
    map_ready(page)
    page.click(".leaflet-control-zoom-in")
    # Leaflet marks a tile image leaflet-tile-loaded once it has loaded without error
    page.locator("img.leaflet-tile-loaded[src*='/tiles/11/']").first.wait_for()
    assert outside == [] and problems == []


def test_the_public_map_on_a_phone(page_watch, live_server):
    open_page, outside, problems = page_watch
    page = open_page(390, 844, user=None)
    page.goto(live_server["url"] + "/board/map?lang=vi")
    map_ready(page)
    assert page.locator(".leaflet-marker-icon.shelter-cluster").count() + page.locator("path.shelter").count() >= 5
    assert page.locator(".leaflet-marker-icon.need-badge, .leaflet-marker-icon.volunteer-badge").count() == 0
    page.locator(".leaflet-control-layers").hover()
    layers = page.inner_text(".leaflet-control-layers")
    assert "Volunteers" not in layers and "needs" not in layers.lower()
    page.locator("path.shelter").first.dispatch_event("click")
    page.locator(".leaflet-popup-content a[href*='/board/']").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    assert outside == [] and problems == []


def test_a_vietnamese_evacuee_says_no_pork_and_the_center_sees_the_need(
        page_watch, live_server):
    """The conversation board: Vietnamese, "I cannot eat pork", record it; the
    coordinator's queue shows one food need in Vietnamese at that shelter."""
    open_page, outside, problems = page_watch
    page = open_page(1024, 768, user=None)
    page.goto(live_server["tablet_link"] + "?lang=ja")
    page.tap("button.primary")  # Join
    page.wait_for_selector("form.need-form")
    shelter_id = page.url.split("/shelters/")[1].split("/")[0]
    coordinator = open_page(1280, 800, user="coordinator")
    queue = (f"{live_server['url']}/api/v1/needs?shelter_id={shelter_id}&language=vi"
             f"&category=food")
    before = coordinator.request.get(queue).json()["count"]  # with the coordinator's cookie

    page.click("nav.jump a[href$='/talk']")
    page.click(".language-grid a[hreflang=vi]")                       # 1: the language
    page.click(".sets a[href$='/food']")                              # the food set
    page.click(".phrase[data-phrase=no_pork]")                         # 2: the phrase
    split = page.locator("#p-no_pork")
    assert split.is_visible()
    assert "Tôi không ăn được thịt" in split.locator(".half.them").inner_text()
    assert split.locator(".half.us").inner_text().strip() == "豚肉は食べられません。"
    split.locator("button[name=people][value='1']").click()           # 3: record it
    page.wait_for_selector("html[data-outbox='0']", state="attached")
    expect(page.locator("#tablet-message")).to_have_text(re.compile(r"\S"))
    assert not split.is_visible()  # back to the phrases, the answer in view

    after = coordinator.request.get(queue).json()
    assert after["count"] == before + 1
    coordinator.goto(f"{live_server['url']}/needs?shelter_id={shelter_id}&language=vi"
                     f"&category=food&lang=en")
    assert "Vietnamese" in coordinator.inner_text("main") or "Tiếng Việt" in coordinator.inner_text("main")
    assert outside == [] and problems == []


# The letters of an element drawn as the .notdef box ("tofu") or not drawn at all. A
# letter no font has is drawn as the first font's box, so it leaves on a canvas exactly
# the pixels the box of an unassigned code point leaves (widths alone are not enough:
# Thai ก in Noto Sans Thai is as wide as DejaVu's box).
BOXED_LETTERS = """element => {
  const style = getComputedStyle(element);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const context = canvas.getContext("2d", {willReadFrequently: true});
  context.font = `${style.fontStyle} ${style.fontWeight} 32px ${style.fontFamily}`;
  context.textBaseline = "middle";
  const pixels = text => {
    context.clearRect(0, 0, 64, 64);
    context.fillText(text, 8, 32);
    return context.getImageData(0, 0, 64, 64).data;
  };
  const box = pixels("\\u0378").join();
  const letters = [...new Set(element.textContent.match(/\\p{L}/gu) || [])];
  const boxed = letters.filter(letter => {
    const drawn = pixels(letter);
    return drawn.every(value => value === 0) || drawn.join() === box;
  });
  return {letters: letters.length, boxed: boxed.join("")};
}"""


def boxed_letters(page, selector):
    return page.locator(selector).first.evaluate(BOXED_LETTERS)


def test_every_language_is_drawn_in_real_letters_not_boxes(page_watch, live_server):
    """Japanese, Chinese, Korean, Thai, Burmese, Khmer, Nepali... each page of the UI in
    its language, and the language menu with every language's own name: no letter is
    a box (a machine without the fonts .ci/run installs fails here)."""
    from disaster_support.i18n import ui_languages

    open_page, outside, problems = page_watch
    page = open_page(1280, 800, user=None)
    page.goto(live_server["url"] + "/about")
    menu = boxed_letters(page, "details.languages")
    assert menu["letters"] > 50 and menu["boxed"] == ""
    drawn = {}
    for tag in ui_languages():
        page.goto(f"{live_server['url']}/about?lang={tag}")
        drawn[tag] = boxed_letters(page, "main")
    assert {tag: found["boxed"] for tag, found in drawn.items()} == {
        tag: "" for tag in ui_languages()}
    assert all(found["letters"] >= 10 for found in drawn.values())
    assert outside == [] and problems == []


def test_the_font_check_sees_boxes_where_the_fonts_are_missing(browser, live_server, tmp_path):
    """The check above is honest: with only DejaVu fonts (a stock Linux laptop), it
    finds the Thai, Khmer and Japanese letters drawn as boxes."""
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                      "<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>"
                      f"<cachedir>{tmp_path}/cache</cachedir></fontconfig>")
    stock_laptop = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        env={**os.environ, "FONTCONFIG_FILE": str(config)}, args=CHROMIUM_ARGS)
    page = stock_laptop.new_page()
    found = {}
    for tag in ("th", "km", "ja", "en"):
        page.goto(f"{live_server['url']}/about?lang={tag}")
        found[tag] = boxed_letters(page, "main")
    stock_laptop.close()
    assert found["th"]["boxed"] and found["km"]["boxed"] and found["ja"]["boxed"]
    assert not re.search("[A-Za-z]", found["th"]["boxed"] + found["en"]["boxed"])  # DejaVu has them


def test_a_tablet_confirms_a_notice_on_the_wall_and_the_pack_copies(page_watch, live_server):
    """Issue 21: "posted on the wall" goes through the tablet's outbox and comes back as
    the place's confirmation; the broadcast pack's copy button copies."""
    open_page, outside, problems = page_watch
    page = open_page(user=None)
    page.goto(live_server["tablet_link"] + "?lang=en")
    page.tap("button.primary")  # Join
    page.wait_for_selector("form.need-form")
    first = page.locator("#wall li").filter(has=page.locator("form.posted-form")).first
    notice_id = first.get_attribute("data-notice")
    first.locator("button").tap()
    expect(page.locator(f"#wall li[data-notice='{notice_id}'] .badge")).to_contain_text(
        "Posted")

    coordinator = open_page()
    coordinator.goto(live_server["url"] + f"/notices/{notice_id}?lang=en")
    expect(coordinator.locator("#reach")).to_contain_text("Posted on the wall at 1 place")
    coordinator.goto(live_server["url"] + f"/notices/{notice_id}/broadcast?lang=en")
    button = coordinator.locator("button[data-copy='x-en']")
    button.click()
    expect(button).to_have_text("Copied")
    expect(button).to_have_text("Copy", timeout=5000)  # back after two seconds
    assert coordinator.locator("#x-en").input_value().endswith(f"/n/{notice_id}/en")
    assert outside == [] and problems == []
