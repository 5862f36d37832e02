"""Text answers compressed for the browsers that ask (gzip): a shelter list or a queue
is a tenth of its size on a tablet's mobile network. Files sent as they are on disk
(static, tiles, downloads streamed) and small answers are left alone. Depends on
nothing of the package."""

import gzip

from flask import request

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml",
                "application/cap+xml", "application/atom+xml", "application/xliff+xml",
                "application/geo+json", "image/svg+xml", "application/manifest+json")
SMALLEST = 1024  # below this gzip's own header and the CPU cost outweigh the saving
LEVEL = 5  # measured: nearly level 9's size at well under half its time


def compress(response):
    """The response, gzipped when the request accepts it and it is worth it."""
    if (response.status_code not in (200, 201, 400, 403, 404, 409)
            or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers
            or not (response.mimetype or "").startswith(COMPRESSIBLE)
            or "gzip" not in request.accept_encodings):
        return response
    data = response.get_data()
    response.vary.add("Accept-Encoding")
    if len(data) < SMALLEST:
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app):
    """Register first: Flask runs after-request hooks last-registered first, so the
    others (furigana for Easy Japanese, headers) see the page before it is packed."""
    app.after_request(compress)
