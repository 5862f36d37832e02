"""In a real browser (headless Chromium): offline-clean pages that work by touch."""

import os
import re
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
         "/shelters/E1415000004111", "/about", "/?lang=en", "/shelters/NOPE", "/devices",
         "/audit", "/admin/users", "/account/password", "/api/v1/openapi.json"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``disaster-support serve --demo`` as a user starts it; what it prints is read."""
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--demo", "--port", str(port),
         "--instance", str(tmp_path_factory.mktemp("browser"))],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LANG": "C.UTF-8"})
    printed = []
    for line in process.stdout:
        printed.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    text = "".join(printed)
    server = {
        "url": f"http://127.0.0.1:{port}",
        "passwords": dict(re.findall(r"^  (\S+)\s+(\S+)\s+\(", text, re.M)),
        "tablet_link": re.search(r"Demo tablet link for .*: (\S+)", text).group(1),
    }
    for _ in range(200):
        try:
            requests.get(server["url"] + "/healthz", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(timeout=20)
    process.stdout.close()


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
    base = live_server["url"]

    def open_page(width=1280, height=800, user="coordinator"):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=True)
        page = context.new_page()

        def route(r):
            if urlparse(r.request.url).netloc != urlparse(base).netloc:
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        if user:
            page.goto(base + "/sign-in")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", live_server["passwords"][user])
            page.click("button.primary")
            page.wait_for_load_state()
        return page

    return open_page, outside, problems


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


def test_a_tablet_joins_by_link_and_updates_its_shelter_by_touch(page_watch, live_server):
    open_page, outside, problems = page_watch
    page = open_page(768, 1024, user=None)
    page.goto(live_server["tablet_link"] + "?lang=en")
    page.tap("button.primary")  # Join
    page.wait_for_selector("form.update")
    shelter_url = page.url
    shelter_id = shelter_url.rstrip("/").rsplit("/", 1)[1]
    page.select_option("select[name=status]", "open")
    page.fill("input[name=evacuees]", "640")
    page.fill("input[name=lang-vi]", "7")
    page.check("input[name=staff_languages][value=vi]")
    page.tap("button.primary")
    page.wait_for_selector(".flash")
    assert "Saved" in page.inner_text(".flash")
    assert "Tiếng Việt" in page.inner_text("#history")
    api = requests.get(f"{live_server['url']}/api/v1/shelters/{shelter_id}", timeout=5,
                       headers={"Authorization": "Bearer "
                                + live_server["tablet_link"].rsplit("/", 1)[1]}).json()
    assert (api["status"], api["evacuees"], api["languages"]["vi"]) == ("open", 640, 7)
    # the tablet sees its own shelter only
    assert page.goto(live_server["url"] + "/shelters/E1415000004111").status == 403 or \
        shelter_id == "E1415000004111"
    assert outside == [] and [p for p in problems if "403" not in p] == []


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
