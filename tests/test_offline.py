"""Tablets and boards with no network, in headless Chromium with the real server and
its service worker: nothing recorded is lost or doubled."""

import pytest
import requests
from playwright.sync_api import expect

from test_browser import live_server, refuse_outside  # noqa: F401  (fixtures)


@pytest.fixture
def device(browser, live_server):  # noqa: F811
    """A fresh tablet (its own storage and service worker) that refuses anything
    outside the app and records page errors."""
    base = live_server["url"]
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    outside, problems = [], []
    context.route("**/*", refuse_outside(base, outside))
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield context, page, outside, problems
    context.close()


def join(page, live_server):  # noqa: F811
    page.goto(live_server["tablet_link"] + "?lang=en")
    page.tap("button.primary")  # Join
    page.wait_for_selector("form.need-form")
    page.wait_for_selector("html[data-offline-ready=kept]", state="attached")
    shelter_id = page.url.split("/shelters/")[1].split("/")[0]
    token = live_server["tablet_link"].rsplit("/", 1)[1]
    return shelter_id, {"Authorization": f"Bearer {token}"}


def server_needs(live_server, shelter_id, auth):  # noqa: F811
    url = f"{live_server['url']}/api/v1/needs?shelter_id={shelter_id}&status=all&limit=1000"
    return requests.get(url, headers=auth, timeout=5).json()["needs"]


def three_taps(page, category, language, people):
    page.tap(f"label.tile:has(input[value={category}])")
    page.tap(f".languages label.tile:has(input[value={language}])")
    page.tap(f"button[name=people][value='{people}']")


TAPS = [("interpretation", "vi", 1), ("food", "ne", 2), ("medicine", "zh-Hans", 3),
        ("water", "en", 4), ("information", "ko", 5)]


def test_needs_recorded_offline_are_sent_exactly_once_when_the_network_returns(
        device, live_server):  # noqa: F811
    context, page, outside, problems = device
    shelter_id, auth = join(page, live_server)
    before = {n["id"] for n in server_needs(live_server, shelter_id, auth)}

    context.set_offline(True)
    for n, (category, language, people) in enumerate(TAPS, start=1):
        three_taps(page, category, language, people)
        page.wait_for_selector(f"html[data-outbox='{n}']", state="attached")
    expect(page.locator("#outbox")).to_contain_text("Waiting to send: 5")
    expect(page.locator("#connection")).to_contain_text("Offline")

    page.reload()  # still offline: the kept page, and the outbox kept in IndexedDB
    page.wait_for_selector("html[data-outbox='5']", state="attached")
    expect(page.locator("#outbox")).to_contain_text("Waiting to send: 5")
    assert {n["id"] for n in server_needs(live_server, shelter_id, auth)} == before

    context.set_offline(False)  # the network returns: sent by itself
    page.wait_for_selector("html[data-outbox='0']", state="attached", timeout=30_000)
    new = [n for n in server_needs(live_server, shelter_id, auth) if n["id"] not in before]
    assert sorted((n["category"], n["language"], n["people"]) for n in new) == sorted(TAPS)
    expect(page.locator("#connection")).to_contain_text("Last sent to the center")
    # the shelter's list on the page comes from the server again
    page.locator("#needs [data-need]").nth(4).wait_for(state="attached")
    assert outside == [] and problems == []


def test_a_flaky_network_and_double_taps_never_double_a_need(device, live_server):  # noqa: F811
    context, page, outside, problems = device
    shelter_id, auth = join(page, live_server)
    before = {n["id"] for n in server_needs(live_server, shelter_id, auth)}
    answered = {"count": 0}

    def flaky(route):
        """Every other need reaches the server but its answer is lost on the way back."""
        if route.request.method != "POST":
            return route.continue_()
        response = route.fetch()
        answered["count"] += 1
        if answered["count"] % 2:
            return route.abort("connectionreset")
        return route.fulfill(response=response)

    context.route("**/api/v1/needs", flaky)
    for category, language, people in TAPS[:3]:
        page.tap(f"label.tile:has(input[value={category}])")
        page.tap(f".languages label.tile:has(input[value={language}])")
        button = page.locator(f"button[name=people][value='{people}']")
        button.dblclick()  # a double tap
    for _ in range(10):
        if page.get_attribute("html", "data-outbox") == "0":
            break
        page.click("#outbox .send-now")  # and the "Send now" button, repeatedly
        page.wait_for_timeout(300)
    page.wait_for_selector("html[data-outbox='0']", state="attached", timeout=30_000)
    new = [n for n in server_needs(live_server, shelter_id, auth) if n["id"] not in before]
    assert sorted((n["category"], n["language"], n["people"]) for n in new) == sorted(TAPS[:3])
    assert answered["count"] > 3  # some were sent again, and recorded once
    assert outside == [] and problems == []


def test_a_change_made_at_the_center_meanwhile_is_shown_not_overwritten(
        device, live_server):  # noqa: F811
    context, page, outside, problems = device
    shelter_id, auth = join(page, live_server)
    three_taps(page, "hygiene", "vi", 2)
    page.wait_for_selector("html[data-outbox='0']", state="attached")
    page.wait_for_selector("#needs [data-need][data-status=open]")
    need_id = page.locator("#needs [data-need][data-status=open]").first.get_attribute(
        "data-need")

    context.set_offline(True)
    page.locator(f"#needs [data-need='{need_id}'] button[value=in_progress]").tap()
    page.wait_for_selector("html[data-outbox='1']", state="attached")
    # meanwhile the center resolves it
    coordinator = requests.Session()
    coordinator.headers.update(auth)
    response = coordinator.patch(f"{live_server['url']}/api/v1/needs/{need_id}",
                                 json={"status": "resolved"}, timeout=5)
    assert response.status_code == 200

    context.set_offline(False)
    page.wait_for_selector("#outbox .decide.conflict")
    expect(page.locator("#outbox")).to_contain_text("changed at the center meanwhile")
    need = coordinator.get(f"{live_server['url']}/api/v1/needs/{need_id}", timeout=5).json()
    assert need["status"] == "resolved"  # not overwritten
    page.click("#outbox .decide button:has-text('Discard')")
    page.wait_for_selector("#outbox .decide", state="detached")
    assert outside == [] and problems == []


def test_the_board_opens_offline_in_the_last_chosen_language(device, live_server):  # noqa: F811
    context, page, outside, problems = device
    base = live_server["url"]
    page.goto(base + "/board")
    shelter = page.locator("ul.shelters a").first.get_attribute("href").split("?")[0]
    page.goto(base + shelter + "?lang=ne")
    page.wait_for_selector("html[data-offline-ready=kept]", state="attached")
    assert page.get_attribute("html", "lang") == "ne"

    context.set_offline(True)
    page.goto(base + shelter)
    assert page.get_attribute("html", "lang") == "ne"
    assert page.locator("article").count() >= 1
    page.wait_for_selector("#connection.offline")
    page.goto(base + "/board/E9999999999")  # never opened here: said plainly
    assert page.locator("h1").count() == 1
    assert outside == [] and problems == []


def test_the_conversation_board_opens_offline(device, live_server):  # noqa: F811
    context, page, outside, problems = device
    shelter_id, _ = join(page, live_server)
    base = live_server["url"]
    page.goto(f"{base}/shelters/{shelter_id}/talk/ne/health")
    page.wait_for_selector("html[data-offline-ready=kept]", state="attached")
    context.set_offline(True)
    page.goto(f"{base}/shelters/{shelter_id}/talk/ne/health")
    page.click(".body a[href='#p-pain_stomach']")
    assert page.locator("#p-pain_stomach").is_visible()
    assert page.locator("#connection.offline").count() == 1
    assert outside == [] and problems == []


def test_a_coordinators_pages_are_not_kept_for_anyone_after_signing_out(
        device, live_server):  # noqa: F811
    """A coordinator opens a shelter's tablet page on some browser and signs out: with no
    network, that browser shows the "not kept here" page, not the coordinator's page."""
    context, page, outside, problems = device
    base = live_server["url"]
    page.goto(base + "/sign-in?lang=en")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", live_server["passwords"]["coordinator"])
    page.click("button.primary")
    page.wait_for_load_state()
    tablet = base + "/shelters/E1415000004111/tablet"
    page.goto(tablet)
    page.wait_for_selector("html[data-offline-ready=not-kept]", state="attached")
    page.reload()  # now through the service worker, network first: still not kept
    page.wait_for_selector("form.need-form")
    page.click("header form[action='/sign-out'] button")
    page.wait_for_selector("input[name=username]")

    context.set_offline(True)
    page.goto(tablet)
    assert page.locator("form.need-form").count() == 0
    assert page.locator("form[action='/sign-out']").count() == 0  # no one's page at all
    assert outside == [] and problems == []


def test_a_patrol_visit_recorded_offline_is_sent_exactly_once(browser, device,
                                                              live_server):  # noqa: F811
    """The demo's patrol round: the coordinator gives team 1 a phone link; the phone
    records a visit with no network, reloads, and sends it once when back."""
    base = live_server["url"]
    center = browser.new_context()
    desk = center.new_page()
    desk.goto(base + "/sign-in?lang=en")
    desk.fill("input[name=username]", "coordinator")
    desk.fill("input[name=password]", live_server["passwords"]["coordinator"])
    desk.click("button.primary")
    desk.goto(base + "/patrols/1?lang=en")
    desk.locator("section.team").first.locator("button:has-text('Link and QR code')").click()
    link = desk.locator("#link").inner_text()

    context, page, outside, problems = device
    page.goto(link + "?lang=en")
    page.tap("button.primary")  # Join
    page.wait_for_selector("#route")
    stop = page.locator("#route li.waiting").first
    stop.locator("a.button").tap()
    page.wait_for_selector("form.visit-form")
    page.wait_for_selector("html[data-offline-ready=kept]", state="attached")

    context.set_offline(True)
    page.fill("input[name=met-vi]", "5")
    page.fill("input[name=met-ne]", "2")
    page.fill("textarea[name=follow_up]", "Offline follow-up: bring Nepali notices")
    page.click("form.visit-form button.primary")
    page.wait_for_selector("html[data-outbox='1']", state="attached")
    expect(page.locator("#outbox")).to_contain_text("Visit: 7 people met")
    page.reload()  # still offline: the kept page and the outbox
    page.wait_for_selector("html[data-outbox='1']", state="attached")

    context.set_offline(False)
    page.wait_for_selector("html[data-outbox='0']", state="attached", timeout=30_000)
    desk.goto(base + "/patrols/1?lang=en")
    expect(desk.locator("#visits li:has-text('Offline follow-up: bring Nepali notices')")
           ).to_have_count(1)
    expect(desk.locator("#visits li:has-text('Offline follow-up')")).to_contain_text(
        "7 people met")
    center.close()
    assert outside == [] and problems == []
