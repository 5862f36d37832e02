"""A notice's broadcast pack: per language, texts that fit each channel.

- X: 280 by X's own weighting (twitter-text: CJK and most other scripts count double,
  a link counts 23); the title, as much of the text as fits (whole sentences), the link.
- SMS: one segment: 160 characters in the GSM 7-bit alphabet, else 70 (UCS-2: every
  non-Latin script, and Latin with letters GSM lacks, such as Vietnamese); the title,
  shortened if need be, and the link.
- LINE / Facebook: the whole notice and the link (LINE's 5,000 characters).
- Community FM: a script in Japanese and in Easy Japanese (messages/broadcast.yaml):
  opening, the notice, "again", the notice, closing.

Each text carries the short link to the notice in that language (/n/<id>/<tag>).
"""

import functools
import re
import unicodedata

import yaml
from twitter_text import parse_tweet

from ..paths import MESSAGES_DIR

X_LIMIT = 280
SMS_GSM_LIMIT = 160
SMS_UCS2_LIMIT = 70
LINE_LIMIT = 5000
ELLIPSIS = "…"
# GSM 03.38: the basic alphabet, and the extension table (each counts two)
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")
RADIO_LANGUAGES = ("ja", "ja-x-easy")
_SENTENCE = re.compile(r"[^\n。.!?！？။។।]*(?:[。.!?！？။។।]+|\n|$)")


@functools.cache
def radio_phrases():
    with open(MESSAGES_DIR / "broadcast.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["radio"]


def x_weight(text):
    return parse_tweet(text).weightedLength


def sms_units(text):
    """(units used, limit): GSM 7-bit when every character has a code there."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        return sum(2 if c in GSM_EXTENDED else 1 for c in text), SMS_GSM_LIMIT
    return len(text.encode("utf-16-le")) // 2, SMS_UCS2_LIMIT


def _sentences(body):
    return [s for s in _SENTENCE.findall(body) if s.strip()]


def _shortened(text, fits):
    """The longest start of ``text`` (whole characters) that, with an ellipsis, fits."""
    if fits(text):
        return text
    characters = list(text)
    while characters and not fits("".join(characters) + ELLIPSIS):
        characters.pop()
    return "".join(characters).rstrip() + ELLIPSIS if characters else ""


def x_post(title, body, url):
    """Title, whole sentences of the body while they fit, and the link."""
    def fits(text):
        return x_weight(text) <= X_LIMIT

    kept = ""
    for sentence in _sentences(body):
        if not fits(f"{title}\n{kept}{sentence}\n{url}"):
            break
        kept += sentence
    kept = kept.strip()
    if kept:
        return f"{title}\n{kept}\n{url}"
    return _shortened(title, lambda t: fits(f"{t}\n{url}")) + f"\n{url}"


def sms(title, url):
    def fits(text):
        used, limit = sms_units(f"{text} {url}")
        return used <= limit

    return f"{_shortened(title, fits)} {url}"


def social_post(title, body, url):
    text = f"{title}\n\n{body}\n\n{url}"
    if len(text) <= LINE_LIMIT:
        return text
    return _shortened(f"{title}\n\n{body}", lambda t: len(f"{t}\n\n{url}") <= LINE_LIMIT) \
        + f"\n\n{url}"


def radio_script(title, body, tag, city_name):
    phrases = radio_phrases()[tag]
    read = f"{title}。{body}".replace("\n", "")
    return "\n\n".join([phrases["opening"].format(city=city_name), read, phrases["repeat"],
                        read, phrases["closing"].format(city=city_name)])


def _plain(text):
    return unicodedata.normalize("NFC", text.strip())


def pack(texts, url_of, city):
    """{tag: {"x", "sms", "post", "url", "radio"?}} for the languages whose text is
    complete (a language still to translate has no pack: nothing is sent in another
    language by mistake); ``texts`` as notices.render.render_all gives them."""
    packs = {}
    for tag, text in texts.items():
        if text.needs_translation:
            continue
        title, body, url = _plain(text.title), _plain(text.body), url_of(tag)
        entry = {"url": url, "x": x_post(title, body, url), "sms": sms(title, url),
                 "post": social_post(title, body, url)}
        if tag in RADIO_LANGUAGES:
            entry["radio"] = radio_script(title, body, tag,
                                          city.name("ja") if tag == "ja" else city.name(tag))
        packs[tag] = entry
    return packs
