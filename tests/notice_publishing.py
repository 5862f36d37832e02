"""Publishing a notice through the forms, as a coordinator does: the publish form,
the check page, then its "Publish" button (the only request that publishes)."""

import html
import re

from werkzeug.datastructures import MultiDict

CONFIRM_FORM = re.compile(r'<form method="post" action="(/notices/\d+/publish)" '
                          r'class="confirm-publish">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def confirm_form(page):
    """(action, fields) of the check page's "Publish" form."""
    action, inside = CONFIRM_FORM.search(page).groups()
    return action, MultiDict([(name, html.unescape(value))
                              for name, value in HIDDEN.findall(inside)])


def publish_checked(client, notice_id, data, query=""):
    """POST the publish form (data: area_kind, wards / shelters, valid_from ...), follow
    it to the check page, press "Publish"; the answer to that last POST."""
    response = client.post(f"/notices/{notice_id}/publish{query}", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    check = client.get(response.headers["Location"])
    assert check.status_code == 200, check.get_data(as_text=True)[-2000:]
    action, fields = confirm_form(check.get_data(as_text=True))
    return client.post(action + query, data=fields)
