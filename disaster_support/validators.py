"""Validators for pages: a reload of an unchanged page costs a 304, not the page.

A page's ETag is a hash of its body less what every response makes anew — the CSP
nonce, the signed CSRF token and what a template marks with ``volatile`` (the time it
was drawn) — plus the session's own CSRF secret, so a cached
page is only reused while its form token is still good. On a 304 the browser keeps
the page it has, with the Content-Security-Policy that came with it (its nonce), so
none is sent. A person's pages are never stored (no-store), so a browser never asks
again with their tag; the live pages' own redraws do (static/js/live.js), and an
unchanged page costs them a 304. Depends on nothing of the package.
"""

import hashlib

from flask import g, request, session

TYPES = ("text/html", "application/json", "application/geo+json", "text/plain",
         "text/csv", "application/xml", "application/cap+xml", "application/atom+xml")


def volatile(text):
    """``text`` in the page, left out of its tag: it changes with every render (the
    time of drawing) without the page saying anything new."""
    g.setdefault("volatile_parts", []).append(text)
    return text


def page_etag(body, volatile=(), secret=""):
    """A weak ETag of ``body`` read without the ``volatile`` strings."""
    for part in volatile:
        if part:
            body = body.replace(part.encode(), b"")
    digest = hashlib.blake2b(body, digest_size=16)
    digest.update(secret.encode())
    return digest.hexdigest()


def add_validator(response):
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or response.direct_passthrough or response.is_streamed
            or "ETag" in response.headers
            or not (response.mimetype or "").startswith(TYPES)):
        return response
    etag = page_etag(response.get_data(),
                     (g.get("csp_nonce"), g.get("csrf_token"), *g.get("volatile_parts", ())),
                     str(session.get("csrf_token", "")))
    response.set_etag(etag, weak=True)
    if request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
        for header in ("Content-Security-Policy", "Content-Length", "Content-Type"):
            response.headers.pop(header, None)
    return response


def init_app(app):
    """Register right after compression: it must see the page every other hook made
    (headers, furigana) and run before it is packed."""
    app.after_request(add_validator)
