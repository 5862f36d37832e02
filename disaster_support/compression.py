"""Text answers compressed for the browsers that ask (gzip): a shelter list or a queue
is a tenth of its size on a tablet's mobile network. Text files sent from disk (CSS,
scripts, the map library) are packed once and the packed copy kept, keyed by the
file's own ETag; streamed downloads, images and small answers are left alone.
Depends on nothing of the package."""

import gzip
import threading

from flask import request

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml",
                "application/cap+xml", "application/atom+xml", "application/xliff+xml",
                "application/geo+json", "image/svg+xml", "application/manifest+json")
SMALLEST = 1024  # below this gzip's own header and the CPU cost outweigh the saving
LEVEL = 5  # measured: nearly level 9's size at well under half its time


LARGEST_FILE = 2 * 1024 * 1024
FILES_KEPT = 256  # packed text files kept in memory (the app ships fewer than 100)
_packed_files = {}
_packed_lock = threading.Lock()


def _compress_file(response):
    """A text file from disk, packed once per version of the file."""
    etag, _ = response.get_etag()
    if (response.status_code != 200 or etag is None or "Range" in request.headers
            or not (response.mimetype or "").startswith(COMPRESSIBLE)
            or "gzip" not in request.accept_encodings
            # a download of someone's data is never kept in memory
            or "no-store" in response.cache_control or response.cache_control.private
            or not SMALLEST <= (response.content_length or 0) <= LARGEST_FILE):
        return response
    source = response.response
    response.direct_passthrough = False
    packed = _packed_files.get(etag)
    if packed is None:
        # the strongest level: paid once per file version, saved on every request
        packed = gzip.compress(response.get_data(), compresslevel=9, mtime=0)
        with _packed_lock:
            if len(_packed_files) >= FILES_KEPT:
                _packed_files.clear()
            _packed_files[etag] = packed
    if hasattr(source, "close"):
        source.close()
    response.set_data(packed)
    response.vary.add("Accept-Encoding")
    response.headers["Content-Encoding"] = "gzip"
    # the packed bytes are another representation of the same file: a weak tag, which
    # a revalidation still matches
    response.set_etag(etag, weak=True)
    return response


def compress(response):
    """The response, gzipped when the request accepts it and it is worth it."""
    if response.direct_passthrough and request.method == "GET":
        return _compress_file(response)
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
