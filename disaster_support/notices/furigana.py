"""Furigana for Easy Japanese: every kanji word gets its reading as HTML <ruby>.

Readings come from pykakasi's dictionary, corrected by override tables for what
the dictionary gets wrong in disaster notices (避難所 ひなんじょ, 救護所
きゅうごしょ...) and in the city's place names (上溝 かみみぞ), and by rules for
numbers with counters (3時 さんじ, 2人 ふたり, 5日 いつか, 3本 さんぼん), which a
dictionary reads one character at a time. The tables are data:
messages/furigana/overrides.yaml and places.yaml (see docs/furigana.md).
"""

import functools
import html
import re

import yaml

from ..paths import MESSAGES_DIR

FURIGANA_DIR = MESSAGES_DIR / "furigana"

_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]+")


def to_hiragana(text):
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _load(name, key):
    """One table of a YAML file: {word: reading in hiragana}, checked."""
    path = FURIGANA_DIR / name
    with open(path, encoding="utf-8") as f:
        table = (yaml.safe_load(f) or {}).get(key) or {}
    checked = {}
    for word, reading in table.items():
        if not isinstance(word, str) or not word or not isinstance(reading, str) \
                or not _KANA.fullmatch(reading):
            raise ValueError(f"{path}: {key}: {word!r}: the reading must be kana")
        checked[word] = to_hiragana(reading)
        # Place names are written with a small or a big ケ (谷ヶ原, 三ケ木).
        for one, other in (("ヶ", "ケ"), ("ケ", "ヶ")):
            if one in word:
                checked.setdefault(word.replace(one, other), checked[word])
    return checked


@functools.cache
def tables():
    """(overrides: word → reading, tokens and suffixes: single kanji → reading)."""
    words = _load("overrides.yaml", "words")
    places = _load("places.yaml", "places")
    clash = sorted(w for w in set(words) & set(places) if words[w] != places[w])
    if clash:
        raise ValueError(f"{FURIGANA_DIR}: read two ways: {', '.join(clash)}")
    return ({**words, **places}, _load("overrides.yaml", "tokens"),
            _load("overrides.yaml", "suffixes"))


# Readings of numbers with counters: a dictionary reads 3時 as "3 とき".
_DIGITS = ["", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"]


def number_reading(n):
    """Japanese reading of 0-9999."""
    if n == 0:
        return "ぜろ"
    parts = []
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    tens, ones = divmod(rest, 10)
    if thousands:
        parts.append({1: "せん", 3: "さんぜん", 8: "はっせん"}.get(
            thousands, _DIGITS[thousands] + "せん"))
    if hundreds:
        parts.append({1: "ひゃく", 3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}.get(
            hundreds, _DIGITS[hundreds] + "ひゃく"))
    if tens:
        parts.append("じゅう" if tens == 1 else _DIGITS[tens] + "じゅう")
    if ones:
        parts.append(_DIGITS[ones])
    return "".join(parts)


_DAYS = {1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか",
         7: "なのか", 8: "ようか", 9: "ここのか", 10: "とおか", 14: "じゅうよっか",
         20: "はつか", 24: "にじゅうよっか"}
_THINGS = {1: "ひとつ", 2: "ふたつ", 3: "みっつ", 4: "よっつ", 5: "いつつ", 6: "むっつ",
           7: "ななつ", 8: "やっつ", 9: "ここのつ"}


def _last_digit(n, replacements):
    """The number's reading with its last digit read another way (4 → よ...)."""
    base = number_reading(n)
    last = n % 10
    if last and last in replacements:
        return base[: len(base) - len(_DIGITS[last])] + replacements[last]
    return base


def _small_tsu(n, plain, changed, table):
    """Counters that double the consonant: 1 いっ, 6 ろっ, 8 はっ, 10 じゅっ (分, 階, 回...)."""
    if n % 10 == 0:
        base = number_reading(n)
        if base.endswith(("じゅう", "ひゃく")):
            return base[:-1] + "っ" + changed
        return base + plain
    last = n % 10
    if last in table:
        return _last_digit(n, {last: table[last]}) + changed
    return number_reading(n) + plain


_TSU = {1: "いっ", 6: "ろっ", 8: "はっ"}


def _h_counter(n, plain, doubled, voiced, four=None):
    """本 杯 泊: ほん, いっぽん, さんぼん (a thousand: せんぼん)."""
    if n % 10 == 3 or (n % 1000 == 0 and n):
        return number_reading(n) + voiced
    if n % 10 == 4 and four:
        return number_reading(n) + four
    return _small_tsu(n, plain, doubled, _TSU)


# Counters read by the _small_tsu rule: (after most numbers, after 1 6 8 10, digits).
_DOUBLING = {"個": ("こ", "こ", _TSU), "件": ("けん", "けん", _TSU),
             "冊": ("さつ", "さつ", {1: "いっ", 8: "はっ"}),
             "週間": ("しゅうかん", "しゅうかん", {1: "いっ", 8: "はっ"}),
             "か月": ("かげつ", "かげつ", _TSU),
             "丁目": ("ちょうめ", "ちょうめ", {1: "いっ", 8: "はっ"})}
_PLAIN = {"枚": "まい", "台": "だい", "番": "ばん", "号": "ごう", "秒": "びょう",
          "度": "ど", "錠": "じょう", "週": "しゅう"}


def counter_reading(n, counter):
    """The reading of a number with its counter, or None if unknown."""
    counter = {"ヶ月": "か月", "ケ月": "か月", "カ月": "か月", "ヵ月": "か月",
               "才": "歳"}.get(counter, counter)
    if counter in ("時", "時間"):
        return _last_digit(n, {4: "よ", 7: "しち", 9: "く"}) + (
            "じ" if counter == "時" else "じかん")
    if counter == "人":
        return {1: "ひとり", 2: "ふたり"}.get(n) or _last_digit(n, {4: "よ", 7: "しち"}) + "にん"
    if counter == "日":
        return _DAYS.get(n) or number_reading(n) + "にち"
    if counter == "日間":
        return ("いちにち" if n == 1 else counter_reading(n, "日")) + "かん"
    if counter == "つ":
        return _THINGS.get(n)
    if counter == "月":
        return {4: "しがつ", 7: "しちがつ", 9: "くがつ"}.get(n) or number_reading(n) + "がつ"
    if counter == "年":
        return _last_digit(n, {4: "よ"}) + "ねん"
    if counter == "分":
        return _small_tsu(n, "ふん", "ぷん", {1: "いっ", 3: "さん", 4: "よん", 6: "ろっ",
                                             8: "はっ"}) if n % 10 not in (3, 4) else \
            number_reading(n) + "ぷん"
    if counter in ("階", "回"):
        if counter == "階" and n % 10 == 3:
            return number_reading(n) + "がい"
        return _small_tsu(n, "かい", "かい", {1: "いっ", 6: "ろっ", 8: "はっ"})
    if counter == "本":
        return _h_counter(n, "ほん", "ぽん", "ぼん")
    if counter == "杯":
        return _h_counter(n, "はい", "ぱい", "ばい")
    if counter == "泊":
        return _h_counter(n, "はく", "ぱく", "ぱく", four="ぱく")
    if counter in _DOUBLING:
        plain, doubled, table = _DOUBLING[counter]
        return _small_tsu(n, plain, doubled, table)
    if counter in _PLAIN:
        return number_reading(n) + _PLAIN[counter]
    if counter == "円":
        return _last_digit(n, {4: "よ"}) + "えん"
    if counter == "歳":
        return {20: "はたち"}.get(n) or _small_tsu(n, "さい", "さい", {1: "いっ", 8: "はっ"})
    return None


COUNTERS = ("時間", "時", "人", "日間", "日", "週間", "週", "ヶ月", "ケ月", "カ月", "ヵ月",
            "か月", "月", "年", "分", "秒", "階", "回", "円", "歳", "才", "本", "杯", "泊",
            "個", "件", "冊", "丁目", "枚", "台", "番", "号", "度", "錠", "つ")
_KANJI = r"[\u3400-\u4dbf\u4e00-\u9fff\u3005]"
_HAS_KANJI = re.compile(_KANJI)
# Not the tail of a longer number (12345人), nor its head (1つ目 is fine, 1日3回 too).
_NUMBER_COUNTER = re.compile(r"(?<![0-9０-９])([0-9０-９]{1,4})(" + "|".join(COUNTERS) + ")")
# 1日 is the first of a month (ついたち) after a month or before a weekday, else
# one day (いちにち): 12月1日 ついたち, 1日3回 いちにち さんかい.
_MONTH_BEFORE = re.compile(r"[0-9０-９]月\s*$")
_WEEKDAY_AFTER = re.compile(r"\s*[（(][月火水木金土日]")
# A weekday in brackets after a date: 1日（土） is ついたち（ど）, not （つち）.
_WEEKDAY = r"(?<=[（(])([月火水木金土日])(?=[）)])"
_WEEKDAYS = dict(zip("月火水木金土日", ["げつ", "か", "すい", "もく", "きん", "ど", "にち"]))
# pykakasi repeats the text before a control character (\n, \r, \t) after it:
# "まで\nおんなの" comes back as "まで", "\n", "までおんなの". Lines go one by one.
_CONTROL = re.compile(r"([\x00-\x1f\x7f]+)")


@functools.cache
def _kakasi():
    import pykakasi  # loaded on first use: its dictionary takes a moment

    return pykakasi.kakasi()


@functools.cache
def _pattern():
    words = sorted(tables()[0], key=len, reverse=True)
    return re.compile("|".join([_NUMBER_COUNTER.pattern, _WEEKDAY]
                               + [re.escape(w) for w in words]))


def ruby(word, reading):
    """One <ruby>, with kana at either end of the word left outside it."""
    if not _HAS_KANJI.search(word):
        return html.escape(word)
    start = 0
    while (start < len(word) - 1 and start < len(reading) - 1
           and not _HAS_KANJI.match(word[start])
           and to_hiragana(word[start]) == to_hiragana(reading[start])):
        start += 1
    end = 0
    while (end < len(word) - start - 1 and end < len(reading) - start - 1
           and not _HAS_KANJI.match(word[-1 - end])
           and to_hiragana(word[-1 - end]) == to_hiragana(reading[-1 - end])):
        end += 1
    core = word[start:len(word) - end]
    core_reading = reading[start:len(reading) - end]
    return (html.escape(word[:start]) + f"<ruby>{html.escape(core)}<rt>"
            f"{html.escape(core_reading)}</rt></ruby>" + html.escape(word[len(word) - end:]))


def _number(text, match):
    n = int(match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    counter = match.group(2)
    if counter == "日" and n == 1 and not (_MONTH_BEFORE.search(text, 0, match.start())
                                           or _WEEKDAY_AFTER.match(text, match.end())):
        return "いちにち"
    return counter_reading(n, counter)


def readings(text):
    """(surface, reading or None) pieces of a text, in order."""
    overrides = tables()[0]
    pieces = []
    position = 0
    for match in _pattern().finditer(text):
        if match.start() > position:
            pieces += _dictionary(text[position:match.start()])
        surface = match.group(0)
        if match.group(1):
            reading = _number(text, match)
        elif match.group(3):
            reading = _WEEKDAYS[surface]
        else:
            reading = overrides[surface]
        pieces.append((surface, reading))
        position = match.end()
    if position < len(text):
        pieces += _dictionary(text[position:])
    return pieces


def _token_reading(token, before, tokens, suffixes):
    word = token["orig"]
    if not _HAS_KANJI.search(word):
        return None
    if word in suffixes and before and _HAS_KANJI.match(before[-1]):
        return suffixes[word]
    return tokens.get(word) or token["hira"]


def _dictionary(text):
    _, tokens, suffixes = tables()
    pieces = []
    for part in _CONTROL.split(text):
        if not part or _CONTROL.fullmatch(part):
            pieces += [(part, None)] if part else []
            continue
        converted = _kakasi().convert(part)
        if "".join(token["orig"] for token in converted) != part:
            pieces.append((part, None))  # no furigana rather than words said twice
            continue
        before = ""
        for token in converted:
            pieces.append((token["orig"], _token_reading(token, before, tokens, suffixes)))
            before = token["orig"]
    return pieces


def reading_of(text):
    """The whole text in hiragana (for tests and search)."""
    return "".join(to_hiragana(reading or surface) for surface, reading in readings(text))


def to_ruby_html(text):
    """HTML of the text with <ruby> furigana over every kanji word."""
    out = []
    for surface, reading in readings(text):
        if reading and _HAS_KANJI.search(surface):
            out.append(ruby(surface, reading))
        else:
            out.append(html.escape(surface))
    return "".join(out)
