"""Names from the city's data are text on the maps, never markup (headless Chromium).

A shelter file names two shelters like HTML elements, and the city profile names a
ward and the data source the same way. The shelters are imported with the real
command and opened by the coordinator; on the coordinator's map and on the public
map their tooltips and popups show each name as it is written and add no element
to the page.
"""

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_browser import refuse_outside  # noqa: F401  (skips without chromium)
from test_cli import ACCOUNT_LINE, SCRIPT, answering, free_port, printed_until_ready

SHIPPED = Path(__file__).resolve().parent.parent / "shelters"
# Two shelters in the west of Midori-ku, shown alone (not in a cluster) at the first zoom.
CRAFTED = {
    "E1415000128111": "<img src=x id=INJ onerror=alert(1)>青根避難所",
    "E1415000154111": "<b id=INJ>藤野南避難所</b>",
}
WARD = "<b id=INJ>Midori-ku</b>"
ATTRIBUTION = "<img src=x id=INJ>GSI"
INJECTED = "#INJ"  # every crafted name would make an element with this id
MAPS = {"coordinator": "/map?lang=en", "public": "/board/map?lang=en"}
SHELTER_LINK = {"coordinator": "/shelters/{}", "public": "/board/{}"}


def crafted_city(folder):
    """A copy of the shipped city folder whose profile names a ward and the data
    source like HTML, and a designated-shelter file naming CRAFTED's shelters so."""
    city = folder / "city"
    shutil.copytree(SHIPPED, city)
    profile = json.loads((city / "city.json").read_text(encoding="utf-8"))
    for ward in profile["wards"]:
        if ward["id"] == "midori":
            ward["name"]["en"] = WARD
    profile["attribution"] = ATTRIBUTION
    (city / "city.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")

    with (city / "sagamihara_gsi_designated_shelters.csv").open(
            encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    for row in rows:
        if row[1] in CRAFTED:
            row[3] = CRAFTED[row[1]]  # 施設・場所名
    assert sum(row[1] in CRAFTED for row in rows) == len(CRAFTED)
    shelters = folder / "crafted_designated_shelters.csv"
    with shelters.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return city, shelters


def sign_in(context, server, user="coordinator"):
    page = context.new_page()
    page.goto(server["url"] + "/sign-in?lang=en")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", server["passwords"][user])
    page.click("button.primary")
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    return page


def open_shelter(page, server, shelter_id):
    """The coordinator opens the shelter with evacuees, on its page as anyone does."""
    page.goto(f"{server['url']}/shelters/{shelter_id}?lang=en")
    form = page.locator("form.update")
    form.locator("select[name=status]").select_option("open")
    form.locator("input[name=evacuees]").fill("40")
    form.locator("input[name=lang-vi]").fill("3")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()


@pytest.fixture(scope="module")
def crafted_server(tmp_path_factory, browser):  # noqa: F811
    """``disaster-support serve --demo`` on an instance where the crafted file was
    imported (so no demo data, only the demo sign-ins), both shelters opened."""
    folder = tmp_path_factory.mktemp("crafted")
    city, shelters = crafted_city(folder)
    instance = folder / "instance"
    env = {**os.environ, "LANG": "C.UTF-8", "DISASTER_SUPPORT_CITY_DIR": str(city)}
    subprocess.run([str(SCRIPT), "import-shelters", "--instance", str(instance), str(shelters),
                    str(city / "sagamihara_gsi_emergency_sites.csv")],
                   env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--demo", "--port", str(port), "--instance", str(instance)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        printed = printed_until_ready(process)
        server = {"url": f"http://127.0.0.1:{port}",
                  "passwords": {name: password
                                for name, password, _ in ACCOUNT_LINE.findall(printed)}}
        assert "coordinator" in server["passwords"], printed
        answering(server["url"] + "/healthz")  # serve prints its last line before it listens
        context = browser.new_context()
        page = sign_in(context, server)
        for shelter_id in CRAFTED:
            open_shelter(page, server, shelter_id)
        context.close()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


@pytest.fixture
def map_page(browser, crafted_server):  # noqa: F811
    """Opens one of the maps (signed in as the coordinator for the coordinator's),
    refusing requests outside the app and noting page errors."""
    outside, problems, contexts = [], [], []

    def open_map(kind):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        context.route("**/*", refuse_outside(crafted_server["url"], outside))
        page = sign_in(context, crafted_server) if kind == "coordinator" else context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(crafted_server["url"] + MAPS[kind])
        page.wait_for_selector("html[data-map-ready]", state="attached", timeout=20_000)
        return page

    yield open_map, outside, problems
    for context in contexts:
        context.close()


def point_at(marker):
    """The pointer comes over a marker (dispatched: a legend may lie over it)."""
    marker.dispatch_event("mouseover")


def marker_named(page, name):
    """The circle of the shelter whose tooltip reads ``name``, found by pointing at
    every shelter shown alone; no tooltip on the way may add an element."""
    tooltip = page.locator(".leaflet-tooltip-pane .leaflet-tooltip")
    markers = page.locator("path.shelter").all()
    assert markers, "no shelter is shown alone on the map"
    found = None
    for marker in markers:
        point_at(marker)
        expect(tooltip).to_have_count(1)
        expect(page.locator(INJECTED)).to_have_count(0)
        if tooltip.inner_text() == name:
            found = marker
        marker.dispatch_event("mouseout")
        expect(tooltip).to_have_count(0)
    assert found is not None, f"no shelter's tooltip reads {name!r}"
    return found


@pytest.mark.parametrize("shelter_id", CRAFTED)
@pytest.mark.parametrize("kind", MAPS)
def test_a_shelter_named_like_html_is_shown_as_text_in_its_tooltip_and_popup(
        map_page, kind, shelter_id):
    open_map, outside, problems = map_page
    page = open_map(kind)
    name = CRAFTED[shelter_id]
    marker = marker_named(page, name)

    point_at(marker)  # its tooltip: the name, as written
    tooltip = page.locator(".leaflet-tooltip-pane .leaflet-tooltip")
    expect(tooltip).to_have_text(name)
    expect(page.locator(INJECTED)).to_have_count(0)

    marker.dispatch_event("click")  # its popup: the name, as written, and its link
    popup = page.locator(".leaflet-popup-content .map-popup")
    expect(popup.locator("h3")).to_have_text(name)
    expect(popup.locator(f"a[href^='{SHELTER_LINK[kind].format(shelter_id)}']")).to_have_count(1)
    expect(popup.locator(".status")).to_have_text("Open")
    if kind == "coordinator":
        expect(popup).to_contain_text("Evacuees: 40")
    expect(page.locator(INJECTED)).to_have_count(0)
    assert outside == [] and problems == []


@pytest.mark.parametrize("kind", MAPS)
def test_a_ward_and_the_data_source_named_like_html_are_shown_as_text(map_page, kind):
    open_map, outside, problems = map_page
    page = open_map(kind)
    labels = page.locator(".ward-label")
    expect(labels).to_have_count(3)
    assert sorted(labels.all_inner_texts()) == sorted(["Chuo-ku", "Minami-ku", WARD])
    expect(page.locator(".leaflet-control-attribution")).to_contain_text(ATTRIBUTION)
    expect(page.locator(INJECTED)).to_have_count(0)
    assert outside == [] and problems == []
