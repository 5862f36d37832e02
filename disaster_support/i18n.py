"""User-interface languages: which ones, how one is chosen, how text is shown.

The choice is: ``?lang=`` on any page (remembered in a cookie) > the cookie >
the browser's Accept-Language > Japanese.

Phones do not send the app's tags: Android sends "fil-PH" and "zh-Hant-TW", iOS
"zh-Hant-HK" and "es-419", older ones "zh-TW" or "in-ID". ``app_language`` reads a
BCP 47 tag (language[-extlang][-script][-region]...) and maps it explicitly:

- the tag itself when it is one of the app's ("zh-Hant", "tl", "ja-x-easy": only
  somebody who chose Easy Japanese sends that; "ja" or "ja-JP" never gives it);
- Chinese ("zh", "cmn", "yue", "zh-yue") by script: Hant -> zh-Hant, Hans -> zh-Hans;
  without a script by region: TW, HK, MO -> zh-Hant, any other -> zh-Hans (Cantonese,
  yue, -> zh-Hant: Hong Kong and Macau write Traditional);
- any other by its language subtag (``LANGUAGE_SUBTAGS``), whatever the region:
  "fil" and "tl" -> tl (Filipino), "in" (the code before 1989) -> id, "pt-PT" -> pt.

The highest-q tag that maps to a UI language wins; equal q keep the header's order.
"""

import functools
import os

from babel import support
from flask import g, has_app_context, has_request_context, request, url_for
from flask_babel import Babel, Domain, get_locale

from .paths import TRANSLATIONS_DIR
from .vocabulary import languages

LANG_COOKIE = "lang"
DEFAULT_LANGUAGE = "ja"
SOURCE_LANGUAGE = "en"  # msgids are English: the English UI needs no catalog


# Language subtag -> the app's tag. Chinese is not here: its script decides (below).
LANGUAGE_SUBTAGS = {
    "ja": "ja", "en": "en", "ko": "ko", "vi": "vi", "pt": "pt", "es": "es",
    "fil": "tl", "tl": "tl",  # Filipino is standardised Tagalog; Android says fil, some tl
    "ne": "ne", "id": "id", "in": "id",  # "in": Indonesian's old code, still in Java locales
    "th": "th", "my": "my", "km": "km", "mn": "mn",
}
# Chinese language subtags and the script each means when the tag names none.
CHINESE = {"zh": "zh-Hans", "cmn": "zh-Hans", "yue": "zh-Hant"}
CHINESE_SCRIPTS = {"hans": "zh-Hans", "hant": "zh-Hant"}
TRADITIONAL_REGIONS = {"tw", "hk", "mo"}  # where Traditional characters are the norm


def app_language(tag, supported):
    """The app's tag for a BCP 47 language tag, or None; see the module's docstring."""
    tag = (tag or "").strip().replace("_", "-")
    for own in supported:
        if own.lower() == tag.lower():
            return own
    subtags = tag.lower().split("-")
    if len(subtags[0]) == 1:  # "x-..." / "i-...": private or grandfathered, none is ours
        return None
    primary, rest = subtags[0], subtags[1:]
    # extensions ("-u-nu-hanidec") and private use ("-x-easy") say nothing of language
    for i, subtag in enumerate(rest):
        if len(subtag) == 1:
            rest = rest[:i]
            break
    if primary == "zh" and rest and rest[0] in CHINESE:  # extlang: zh-yue-HK, zh-cmn-Hans
        primary, rest = rest[0], rest[1:]
    if primary in CHINESE:
        script = next((s for s in rest if len(s) == 4 and s.isalpha()), None)
        region = next((s for s in rest if len(s) == 2 and s.isalpha()), None)
        if script in CHINESE_SCRIPTS:
            found = CHINESE_SCRIPTS[script]
        elif region in TRADITIONAL_REGIONS:
            found = "zh-Hant"
        else:
            found = CHINESE[primary]
    else:
        found = LANGUAGE_SUBTAGS.get(primary)
    return found if found in supported else None


def negotiate(accept, supported, default=DEFAULT_LANGUAGE):
    """The UI language for werkzeug's parsed Accept-Language (value, quality) pairs.

    werkzeug orders them by specificity first ("*" last), then quality; a stable sort by
    quality alone gives "highest q wins, equal q in the header's order"."""
    for value, quality in sorted(accept, key=lambda item: -item[1]):
        if quality <= 0:  # q=0: "not this one"
            continue
        if value == "*":  # any language will do: ours
            return default
        found = app_language(value, supported)
        if found:
            return found
    return default


def _compiled(tag):
    return TRANSLATIONS_DIR / languages()[tag]["catalog"] / "LC_MESSAGES" / "messages.mo"


@functools.cache
def ui_languages():
    """Tags of the languages whose catalog is complete (only those are compiled). Read
    once per process, like the catalogs themselves: asked on every request, the 16 file
    checks were most of the cost of a trivial one."""
    return tuple(tag for tag in languages()
                 if tag == SOURCE_LANGUAGE or _compiled(tag).exists())


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
    return negotiate(request.accept_languages, supported)


def terminal_language():
    """For the CLI: the language of LANGUAGE / LC_ALL / LC_MESSAGES / LANG."""
    supported = ui_languages()
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for part in value.split(":"):
            found = app_language(part.split(".")[0].split("@")[0], supported)  # zh_TW.UTF-8
            if found:
                return found
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


def language_links():
    """(tag, autonym, this page's URL in that language) for the language menu: one
    url_for for the page and the tag appended, not one url_for per language."""
    args = {key: value for key, value in request.args.items() if key != "lang"}
    here = url_for(request.endpoint or "home.index", **dict(request.view_args or {}, **args))
    joiner = "&" if "?" in here else "?"
    return [(tag, languages()[tag]["autonym"], f"{here}{joiner}lang={tag}")
            for tag in ui_languages()]


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
            "language_links": language_links,
        }
