"""Offline support for the shelter tablets and the public boards.

A service worker (templates/offline/sw.js) keeps the app's files and the pages a
tablet or a phone has opened (its shelter's tablet page, boards, the public map),
so they open with no network; static/js/offline.js shows whether the network is
there and how old the data is; static/js/tablet.js keeps what a tablet records
offline in IndexedDB and sends it when the network returns, exactly once (the
server's client_id and expected-value checks).
"""

import hashlib
import json

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import get_translations

from .accounts.access import access
from .formatting import EASY_CLOCK, EASY_JAPANESE, relative_time_texts
from .i18n import chosen_language
from .notices.views import board_language
from .shelters.views import shelter_or_404
from .validators import volatile
from .vocabulary import need_categories

bp = Blueprint("offline", __name__)

# Files every offline page needs, cached when the service worker installs.
SHELL = ("css/fonts.css", "css/app.css", "css/board.css", "css/talk.css", "js/offline.js",
         "js/outbox.js", "js/tablet.js", "js/talk.js", "icons/app.svg",
         "icons/app-192.png", "icons/app-512.png")


def shell_urls():
    asset = current_app.jinja_env.globals["asset"]
    files = list(SHELL) + [c["pictogram"] for c in need_categories().values()]
    return [asset(f) for f in files] + [url_for("offline.offline_page")]


@bp.get("/sw.js")
@access("public")
def service_worker():
    """At the root, so that it may serve every page; never cached itself, so that a
    new version of the app reaches tablets at their next visit online."""
    urls = shell_urls()
    version = hashlib.sha256(json.dumps(urls).encode()).hexdigest()[:12]
    body = render_template("offline/sw.js", precache=urls, version=version)
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8",
                       "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}


@bp.get("/offline")
@access("public")
def offline_page():
    return render_template("offline/offline.html", tag=board_language())


def _manifest(name, short_name, start_url, lang):
    asset = current_app.jinja_env.globals["asset"]
    body = {
        "name": name, "short_name": short_name, "lang": lang, "start_url": start_url,
        "scope": "/", "display": "standalone", "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [{"src": asset("icons/app-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": asset("icons/app-512.png"), "sizes": "512x512", "type": "image/png"},
                  {"src": asset("icons/app.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return (json.dumps(body, ensure_ascii=False), 200,
            {"Content-Type": "application/manifest+json; charset=utf-8"})


@bp.get("/shelters/<shelter_id>/manifest.webmanifest")
@access("shelter")
def tablet_manifest(shelter_id):
    shelter = shelter_or_404(shelter_id)
    from .i18n import chosen_language

    return _manifest(f"{shelter['name']} · {_('Tablet')}", shelter["name"][:12],
                     url_for("needs.tablet", shelter_id=shelter_id), chosen_language())


@bp.get("/board/<shelter_id>/manifest.webmanifest")
@access("public")
def board_manifest(shelter_id):
    shelter = shelter_or_404(shelter_id)
    return _manifest(f"{shelter['name']} · {_('Notice board')}", shelter["name"][:12],
                     url_for("notices.board", shelter_id=shelter_id), board_language())


def page_texts():
    """What offline.js and tablet.js say, in the page's language."""
    def plural(singular, plural_, n):
        # the translated pattern itself, placeholders kept: the script fills them in
        return get_translations().ngettext(singular, plural_, n)

    lang = chosen_language()  # the language of every text below
    texts = {
        "lang": lang,
        # for browsers whose Intl lacks the language (offline.js says which)
        "relative": relative_time_texts(lang),
        "online": _("Online"),
        "offline": _("Offline: what you record stays on this device and is sent when the "
                     "network returns."),
        "data_of": _("Data of %(time)s", time="%(time)s"),
        "last_sent": _("Last sent to the center: %(time)s", time="%(time)s"),
        "waiting": _("Waiting to send: %(num)s", num="%(num)s"),
        "send_now": _("Send now"),
        "queued": _("Waiting to send"),
        "kept": _("Kept on this device; it will be sent when the network returns."),
        "recorded_one": plural("Recorded: %(what)s · %(language)s · %(num)s person",
                               "Recorded: %(what)s · %(language)s · %(num)s people", 1),
        "recorded_other": plural("Recorded: %(what)s · %(language)s · %(num)s person",
                                 "Recorded: %(what)s · %(language)s · %(num)s people", 2),
        "person_one": plural("%(num)s person", "%(num)s people", 1),
        "person_other": plural("%(num)s person", "%(num)s people", 2),
        "duplicate": _("This need was already recorded (sent twice): nothing was added."),
        "headcount_saved": _("Head counts saved."),
        "visit_saved": _("Visit saved."),
        "visit_duplicate": _("This visit was already saved (sent twice)."),
        "visit": _("Visit: %(num)s people met", num="%(num)s"),
        "status_saved": _("Need %(id)s is now “%(status)s”.", id="%(id)s", status="%(status)s"),
        "conflict": _("Not saved: it was changed at the center meanwhile."),
        "refused": _("Not saved:"),
        "send_anyway": _("Send mine anyway"),
        "dismiss": _("Discard"),  # removes the item from the outbox
        "signed_out": _("This device is no longer signed in: ask the center for a new tablet "
                        "link. Nothing is lost: what is waiting stays on this device."),
    }
    if lang == EASY_JAPANESE:
        texts["easy_clock"] = EASY_CLOCK  # ごぜん / ごご / ひるの / よるの, as the boards say
    return texts


@bp.app_context_processor
def offline_helpers():
    from .db import utcnow

    # a page answered 304 keeps the time it was first drawn: its data are that old
    return {"offline_texts": page_texts, "rendered_at": lambda: volatile(utcnow())}
