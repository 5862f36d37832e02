"""What anyone typed, linked or imported is shown as text, never as markup: in pages,
in form errors and inside translated messages, in every language."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

from conftest import GSI_SITES, KAMIMIZO, ROOT, csrf_token, sign_in
from disaster_support.i18n import ui_languages
from disaster_support.text import _l, lazy_pgettext

PAYLOAD = '<b id="INJ">x</b><a id="INJ" href="/evil">y</a>'


class Elements(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.ids = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.ids.extend(value for name, value in attrs if name == "id")


def injected(html):
    """How many elements the payload put into the page."""
    return Elements(html).ids.count("INJ")


def test_the_detector_finds_what_it_looks_for():
    assert injected(f"<p>{PAYLOAD}</p>") == 2
    assert injected("<p>&lt;b id=&quot;INJ&quot;&gt;</p>") == 0


def messages_with_parameters():
    template = read_po((ROOT / "translations" / "messages.pot").open("rb"))
    for message in template:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        names = re.findall(r"%\((\w+)\)s", msgid)
        if names and not isinstance(message.id, tuple):
            yield message.context, msgid, names


def test_every_translated_message_escapes_its_parameters_in_every_language(app):
    """The shared mechanism: each message of the catalog with parameters, rendered in
    each language with markup as every parameter, shows the markup as text."""
    messages = list(messages_with_parameters())
    assert len(messages) > 50
    for tag in ui_languages():
        with app.test_request_context(f"/?lang={tag}"):
            for context, msgid, names in messages:
                values = dict.fromkeys(names, PAYLOAD)
                message = (lazy_pgettext(context, msgid, **values) if context
                           else _l(msgid, **values))
                shown = render_template_string("<p>{{ message }}</p>", message=message)
                assert injected(shown) == 0, (tag, msgid)
                assert "&lt;b id=" in shown, (tag, msgid)  # shown, as text


def test_no_module_makes_messages_that_jinja_would_take_for_markup():
    """flask-babel's own lazy messages claim to be HTML: the code uses text.py's."""
    package = ROOT / "disaster_support"
    offenders = [str(path.relative_to(ROOT)) for path in package.rglob("*.py")
                 if path.name != "text.py" and re.search(
                     r"from flask_babel import[^\n]*\blazy_", path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("url", [
    "/needs?language={p}", "/needs?ward={p}&category={p}&status={p}&urgency={p}"
    "&older_than={p}&shelter_id={p}",
    "/shelters/?ward={p}&status={p}&kind={p}&language={p}&fact={p}&sort={p}",
    "/situation?ward={p}",
])
def test_filter_values_from_a_link_are_shown_as_text(coordinator, url):
    page = coordinator.get(url.format(p=PAYLOAD))
    assert page.status_code in (200, 400, 404)
    assert injected(page.get_data(as_text=True)) == 0
    if page.status_code != 404:
        assert "&lt;b id=" in page.get_data(as_text=True)  # quoted in the error, as text


def test_a_shelter_name_from_an_imported_file_is_shown_as_text(cli, people, app):
    """Stored: a municipal file names a shelter with markup; the tablet of that (closed)
    shelter shows the name in its error, as text."""
    source = (ROOT / "shelters" / "sagamihara_gsi_designated_shelters.csv").read_text(
        encoding="utf-8")
    crafted = Path(app.instance_path) / "crafted.csv"
    crafted.write_text(source.replace(",上溝中学校,", f",上溝中学校{PAYLOAD},", 1),
                       encoding="utf-8")
    assert cli("import-shelters", str(crafted), str(GSI_SITES)).exit_code == 0
    staff = sign_in(app.test_client(), "staff")
    token = csrf_token(staff, f"/shelters/{KAMIMIZO}/tablet")
    answer = staff.post(f"/shelters/{KAMIMIZO}/needs", data={
        "csrf_token": token, "client_id": "closed-1", "category": "water", "language": "vi",
        "people": "2"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "&lt;b id=" in page
    assert injected(page) == 0


def test_form_errors_show_what_was_typed_as_text(admin, coordinator):
    """Errors that quote the input: a volunteer's skills, a notice's area, a user's
    shelters, an unknown field of the API."""
    token = csrf_token(coordinator, "/volunteers")
    volunteer = coordinator.post("/volunteers", data={
        "csrf_token": token, "name": "Tran", "consent_date": "2026-11-01",
        "lang_vi": "native", "skills": PAYLOAD, "ward": PAYLOAD})
    assert volunteer.status_code == 400 and injected(volunteer.get_data(as_text=True)) == 0
    assert "&lt;b id=" in volunteer.get_data(as_text=True)

    token = csrf_token(coordinator, "/notices/new")
    draft = coordinator.post("/notices/new", data={
        "csrf_token": token, "title": "Water", "body": "At the gym", "category": "water",
        "source_language": "en"})
    notice_url = draft.headers["Location"]
    token = csrf_token(coordinator, notice_url)
    notice = coordinator.post(notice_url + "/publish", data={
        "csrf_token": token, "area_kind": "shelters", "shelters": PAYLOAD})
    assert notice.status_code == 400 and injected(notice.get_data(as_text=True)) == 0
    assert "&lt;b id=" in notice.get_data(as_text=True)

    token = csrf_token(admin, "/admin/users")
    user = admin.post("/admin/users", data={
        "csrf_token": token, "username": PAYLOAD, "role": "shelter_staff",
        "shelters": PAYLOAD})
    assert user.status_code == 400 and injected(user.get_data(as_text=True)) == 0
    assert "&lt;b id=" in user.get_data(as_text=True)
