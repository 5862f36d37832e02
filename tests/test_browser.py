"""In a real browser (headless Chromium): offline-clean pages that work by touch."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser tests (.ci/run installs it)")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

from test_cli import SCRIPT, free_port  # noqa: E402

PAGES = ["/", "/shelters/", "/shelters/?kind=designated_shelter&sort=occupancy",
         "/shelters/E1415000004111", "/about", "/?lang=en", "/shelters/NOPE"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--demo", "--port", str(port),
         "--instance", str(tmp_path_factory.mktemp("browser"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/about", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking",
                  "--disable-component-update", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page_watch(browser, live_server):
    """A page that refuses any request outside the app and records problems."""
    outside, problems = [], []

    def open_page(width=1280, height=800):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=True)
        page = context.new_page()

        def route(r):
            if urlparse(r.request.url).netloc != urlparse(live_server).netloc:
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    return open_page, outside, problems


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768), (1280, 800), (800, 1280)])
def test_every_page_loads_with_nothing_from_outside(page_watch, live_server, size):
    open_page, outside, problems = page_watch
    page = open_page(*size)
    for path in PAGES:
        response = page.goto(live_server + path)
        assert response.status in (200, 404)
        # nothing wider than the screen but the scrollable table
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, size, overflow)
    assert outside == []
    assert [p for p in problems if "404" not in p] == []


def test_touch_targets_are_at_least_48px(page_watch, live_server):
    open_page, _, _ = page_watch
    page = open_page(768, 1024)
    page.goto(live_server + "/shelters/E1415000004111")
    heights = page.eval_on_selector_all(
        "form.update select, form.update input:not([type=checkbox]):not([type=hidden]), "
        "form.update button, header nav a",
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 48


def test_a_volunteer_updates_a_shelter_by_touch(page_watch, live_server):
    open_page, outside, problems = page_watch
    page = open_page(768, 1024)
    page.goto(live_server + "/shelters/E1415000006111?lang=en")
    page.select_option("select[name=status]", "open")
    page.fill("input[name=evacuees]", "64")
    page.fill("input[name=lang-vi]", "7")
    page.check("input[name=staff_languages][value=vi]")
    page.tap("button.primary")
    page.wait_for_selector(".flash")
    assert "Saved" in page.inner_text(".flash")
    assert "Tiếng Việt" in page.inner_text("#history")
    data = requests.get(live_server + "/api/v1/shelters/E1415000006111", timeout=5).json()
    assert (data["status"], data["evacuees"], data["languages"]) == ("open", 64, {"vi": 7})
    assert outside == [] and problems == []


def test_language_menu_switches_and_remembers(page_watch, live_server):
    open_page, _, _ = page_watch
    page = open_page()
    page.goto(live_server + "/")
    page.click("details.languages summary")
    page.click("details.languages a[hreflang=en]")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(live_server + "/shelters/")
    assert page.get_attribute("html", "lang") == "en"
    assert "Shelters" in page.inner_text("h1")
