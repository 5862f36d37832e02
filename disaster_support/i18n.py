"""User-interface languages: which ones, how one is chosen, how text is shown.

The choice is: ``?lang=`` on any page (remembered in a cookie) > the cookie >
the browser's Accept-Language > Japanese.
"""

import os

from babel import support
from flask import g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale

from .paths import TRANSLATIONS_DIR
from .vocabulary import languages

LANG_COOKIE = "lang"
DEFAULT_LANGUAGE = "ja"
SOURCE_LANGUAGE = "en"  # msgids are English: the English UI needs no catalog


def _compiled(tag):
    return TRANSLATIONS_DIR / languages()[tag]["catalog"] / "LC_MESSAGES" / "messages.mo"


def ui_languages():
    """Tags of the languages whose catalog is complete (only those are compiled)."""
    return [tag for tag in languages() if tag == SOURCE_LANGUAGE or _compiled(tag).exists()]


class CatalogDomain(Domain):
    """Translations chosen by the page's language tag, not by its Babel locale:
    Easy Japanese formats dates as Japanese does but has its own catalog."""

    def get_translations(self):
        if not has_app_context():
            return support.NullTranslations()
        tag = chosen_language()
        if tag not in self.cache:
            path = _compiled(tag)
            if tag != SOURCE_LANGUAGE and path.exists():
                with open(path, "rb") as f:
                    self.cache[tag] = support.Translations(f)
            else:
                self.cache[tag] = support.NullTranslations()
        return self.cache[tag]


def babel_locale(tag):
    return languages()[tag]["locale"]


def chosen_language():
    if not has_request_context():
        return terminal_language()
    if "ui_language" not in g:
        g.ui_language = _choose_language()
    return g.ui_language


def _choose_language():
    supported = ui_languages()
    principal = g.get("principal")
    remembered = principal.language if principal is not None else None
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE), remembered):
        if candidate in supported:
            return candidate
    best = request.accept_languages.best_match(supported)
    return best or DEFAULT_LANGUAGE


def terminal_language():
    """For the CLI: the language of LANGUAGE / LC_ALL / LC_MESSAGES / LANG."""
    supported = ui_languages()
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for part in value.split(":"):
            code = part.split(".")[0].replace("_", "-")
            if code in supported:
                return code
            if code.split("-")[0] in supported:
                return code.split("-")[0]
    return SOURCE_LANGUAGE


def select_locale():
    return babel_locale(chosen_language())


def remember_language(response):
    """An explicit choice is kept in a cookie, and for the user or tablet."""
    lang = request.args.get("lang")
    if lang not in ui_languages():
        return response
    if request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    principal = g.get("principal")
    if principal is not None and principal.signed_in and principal.language != lang:
        from .accounts.preferences import remember
        from .db import get_accounts_db

        remember(get_accounts_db(), principal, lang)
    return response


def init_app(app):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Tokyo")
    babel = Babel(app, locale_selector=select_locale)
    babel.domain_instance = CatalogDomain()
    app.after_request(remember_language)

    @app.context_processor
    def language_context():
        return {
            "html_lang": chosen_language(),
            "ui_languages": [(tag, languages()[tag]["autonym"]) for tag in ui_languages()],
            "locale": get_locale,
        }
