"""Text answers are gzipped for browsers that ask (issue 22, item 3: tablets on mobile
networks), and only those: files, small answers and clients without gzip get them as
they are."""

import gzip
import re

from disaster_support.paths import STATIC_DIR

from conftest import KAMIMIZO


def without_per_request_tokens(html):
    """The page less what differs between two renders: the CSP nonce, and the CSRF
    token (signed with a timestamp: two requests a second apart differ)."""
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', html)


def test_pages_are_gzipped_for_those_who_ask_and_read_the_same(app, coordinator):
    plain = coordinator.get("/shelters/?lang=en")
    packed = coordinator.get("/shelters/?lang=en", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    page = gzip.decompress(packed.data).decode()
    assert without_per_request_tokens(page) == without_per_request_tokens(
        plain.get_data(as_text=True))
    assert len(packed.data) * 5 < len(plain.data)  # 168 rows: far smaller on the wire
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    # Easy Japanese furigana are added before packing, not to the packed bytes
    easy = coordinator.get("/shelters/?lang=ja-x-easy", headers={"Accept-Encoding": "gzip"})
    assert "<ruby>" in gzip.decompress(easy.data).decode()


def test_files_small_answers_and_the_public_board(app, people):
    client = app.test_client()
    healthz = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in healthz.headers and healthz.data == b"ok"
    board = client.get(f"/board/{KAMIMIZO}?lang=vi", headers={"Accept-Encoding": "gzip"})
    assert board.headers.get("Content-Encoding") == "gzip"
    assert 'lang="vi"' in gzip.decompress(board.data).decode()
    plain_css = client.get("/static/css/board.css")
    assert "Content-Encoding" not in plain_css.headers
    css = client.get("/static/css/board.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"  # packed once, then kept
    on_disk = (STATIC_DIR / "css" / "board.css").read_bytes()
    assert gzip.decompress(css.data) == plain_css.data == on_disk
    again = client.get("/static/css/board.css", headers={"Accept-Encoding": "gzip"})
    assert again.data == css.data and again.headers["ETag"] == css.headers["ETag"]
    # a reload revalidates the packed copy: the weak tag still matches the file
    assert client.get("/static/css/board.css", headers={
        "Accept-Encoding": "gzip", "If-None-Match": css.headers["ETag"]}).status_code == 304
