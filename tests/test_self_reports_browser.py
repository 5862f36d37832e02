"""An evacuee's report from a phone in headless Chromium, with the real server: made
while the server is unreachable, it is kept on the phone and sent exactly once when the
network returns, even when an answer is lost on the way back."""

import re
import sqlite3

import pytest

from browsers import have_chromium

if not have_chromium():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, demo_server):
    """A fresh phone (its own storage), recording script errors and CSP complaints."""
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    # what the CSP refuses (an inline script, an eval) is said on the console
    page.on("console", lambda m: "Refused to" in m.text and problems.append(m.text))
    yield context, page, problems
    context.close()


def reports(server, client_id):
    """The needs the server holds under this client id (read-only, as another process)."""
    path = server.instance / "disaster_support.db"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT status, origin, category, people FROM need "
                          "WHERE client_id = ?", [client_id]).fetchall()
    finally:
        db.close()


def open_report_page(page, server):
    """From the board list to a shelter's board, and its "I need help" link."""
    page.goto(server.url + "/board?lang=en")
    page.locator("ul.shelters a").first.click()
    page.locator("p.report-way a").click()
    page.wait_for_selector("#report-form")
    assert re.search(r"/board/[^/]+/report\?lang=en$", page.url)


def fill(page, category="water", people="3"):
    page.locator(f"label.tile:has(input[name=category][value={category}])").tap()
    expect(page.locator("input[name=language][value=en]")).to_be_checked()  # the reader's
    page.fill("#people", people)
    a, b = map(int, re.findall(r"\d+", page.locator("#challenge-question").inner_text()))
    page.fill("#answer", str(a + b))
    return page.locator("#report-form input[name=client_id]").input_value()


def test_a_report_made_offline_is_kept_and_sent_exactly_once(phone, demo_server):
    context, page, problems = phone
    open_report_page(page, demo_server)
    client_id = fill(page)

    context.set_offline(True)
    page.locator("button.send").tap()
    expect(page.locator("#report-status")).to_contain_text("Saved on this phone")
    page.wait_for_selector("html[data-report-outbox='1']", state="attached")
    expect(page.locator("#report-outbox")).to_contain_text("Waiting to be sent")
    assert reports(demo_server, client_id) == []
    # the form is fresh: a second tap cannot send the same report again
    assert page.locator("#report-form input[name=client_id]").input_value() != client_id

    context.set_offline(False)  # the network returns: sent by itself
    page.wait_for_selector("html[data-report-outbox='0']", state="attached", timeout=30_000)
    expect(page.locator("#report-status")).to_contain_text("not yet verified")
    assert reports(demo_server, client_id) == [("reported", "self_report", "water", 3)]
    # a new question for the next report, from the server
    expect(page.locator("#answer")).to_have_value("")

    page.reload()  # nothing is left to send again
    page.wait_for_selector("html[data-report-outbox='0']", state="attached")
    assert len(reports(demo_server, client_id)) == 1
    assert problems == []


def test_a_lost_answer_is_sent_again_and_recorded_once(phone, demo_server):
    context, page, problems = phone
    open_report_page(page, demo_server)
    client_id = fill(page, category="medicine", people="1")
    posts = {"count": 0}

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        posts["count"] += 1
        response = route.fetch()  # it reaches the server...
        if posts["count"] == 1:
            return route.abort("connectionreset")  # ...but the phone never hears back
        return route.fulfill(response=response)

    page.route(re.compile(r"/board/[^/]+/report"), lose_the_first_answer)
    page.locator("button.send").tap()
    expect(page.locator("#report-status")).to_contain_text("Saved on this phone")
    page.wait_for_selector("html[data-report-outbox='1']", state="attached")
    assert len(reports(demo_server, client_id)) == 1  # arrived already

    page.locator("#report-outbox .send-now").tap()
    page.wait_for_selector("html[data-report-outbox='0']", state="attached", timeout=30_000)
    expect(page.locator("#report-status")).to_contain_text("already received")
    assert posts["count"] == 2
    assert reports(demo_server, client_id) == [("reported", "self_report", "medicine", 1)]
    assert problems == []


def test_a_report_kept_while_the_browser_forgot_its_session_still_goes(phone, demo_server):
    """The form's CSRF token belongs to the session the browser had: after the browser
    was closed (its session cookie gone) the phone takes a fresh token and sends once."""
    context, page, problems = phone
    open_report_page(page, demo_server)
    client_id = fill(page, category="information", people="2")
    context.set_offline(True)
    page.locator("button.send").tap()
    page.wait_for_selector("html[data-report-outbox='1']", state="attached")
    context.clear_cookies()
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    context.set_offline(False)
    page.wait_for_selector("html[data-report-outbox='0']", state="attached", timeout=30_000)
    expect(page.locator("#report-status")).to_contain_text("not yet verified")
    assert reports(demo_server, client_id) == [("reported", "self_report", "information", 2)]
    assert len(posts) == 2  # refused for its stale token once, then sent with a fresh one
    assert problems == []
