"""The main menu is drawn once per kind of page and kept: what it shows must still
follow the page it is on, the reader's language and role."""

import re

from conftest import KAMIMIZO, sign_in


NAV = re.compile(r'<nav aria-label="([^"]+)">(.*?)</nav>', re.S)


def menu(page):
    return NAV.search(page).group(2)


def current_links(page):
    return re.findall(r'<a href="([^"]+)" aria-current="page">', menu(page))


def test_the_kept_menu_marks_the_page_it_is_on(coordinator):
    needs = coordinator.get("/needs").get_data(as_text=True)
    situation = coordinator.get("/situation").get_data(as_text=True)
    again = coordinator.get("/needs?status=all").get_data(as_text=True)
    assert current_links(needs) == ["/needs"]
    assert current_links(situation) == ["/situation"]
    assert current_links(again) == ["/needs"]


def test_the_kept_menu_follows_the_reader_language(coordinator):
    english = coordinator.get("/needs?lang=en").get_data(as_text=True)
    vietnamese = coordinator.get("/needs?lang=vi").get_data(as_text=True)
    assert NAV.search(english).group(1) == "Main"
    assert NAV.search(vietnamese).group(1) != "Main"
    assert ">Needs<" in menu(english)
    assert ">Needs<" not in menu(vietnamese)


def test_the_kept_menu_follows_the_role(app, coordinator, people):
    # a coordinator's menu of the same page is kept first
    assert "Needs" in menu(coordinator.get(f"/shelters/{KAMIMIZO}?lang=en").get_data(as_text=True))
    staff = sign_in(app.test_client(), "staff")
    page = staff.get(f"/shelters/{KAMIMIZO}?lang=en").get_data(as_text=True)
    assert "My shelter" in menu(page)
    assert 'href="/needs"' not in menu(page)  # the coordinator's links are not for staff
