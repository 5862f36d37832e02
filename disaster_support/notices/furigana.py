"""Furigana for Easy Japanese: every kanji word gets its reading as HTML <ruby>.

Readings come from pykakasi's dictionary, corrected by an override table for
what dictionaries get wrong in disaster notices (避難所 ひなんじょ, 救護所
きゅうごしょ...) and by rules for numbers with counters (3時 さんじ, 2人 ふたり,
5日 いつか, 10分 じゅっぷん), which a dictionary reads one character at a time.
"""

import functools
import html
import re

# Words whose dictionary reading is wrong or missing in this context.
OVERRIDES = {
    "避難所": "ひなんじょ", "給水所": "きゅうすいじょ", "救護所": "きゅうごしょ",
    "避難者": "ひなんしゃ", "被災者": "ひさいしゃ", "土砂崩れ": "どしゃくずれ",
    "罹災証明書": "りさいしょうめいしょ", "仮設住宅": "かせつじゅうたく",
    "応急仮設住宅": "おうきゅうかせつじゅうたく", "看護師": "かんごし", "保健師": "ほけんし",
    "医師": "いし", "薬剤師": "やくざいし", "通訳者": "つうやくしゃ", "外国人": "がいこくじん",
    "相談窓口": "そうだんまどぐち", "在留カード": "ざいりゅうカード", "在留資格": "ざいりゅうしかく",
    "入国管理局": "にゅうこくかんりきょく", "出入国在留管理局": "しゅつにゅうこくざいりゅうかんりきょく",
    "大使館": "たいしかん", "領事館": "りょうじかん", "市役所": "しやくしょ",
    "区役所": "くやくしょ", "相模原市": "さがみはらし", "緑区": "みどりく", "中央区": "ちゅうおうく",
    "南区": "みなみく", "余震": "よしん", "地震": "じしん", "津波": "つなみ",
    "炊き出し": "たきだし", "お薬手帳": "おくすりてちょう", "飲み水": "のみみず",
    "一人": "ひとり", "二人": "ふたり", "何人": "なんにん", "今日": "きょう", "明日": "あした",
    "昨日": "きのう", "一日": "いちにち", "毎日": "まいにち", "大人": "おとな",
    "子ども": "こども", "子供": "こども", "下さい": "ください", "来る": "くる",
    "来て": "きて", "行く": "いく", "行って": "いって", "入れる": "いれる", "入る": "はいる",
    "出る": "でる", "使う": "つかう", "午前": "ごぜん", "午後": "ごご",
    "お金": "おかね", "入って": "はいって", "入りたい": "はいりたい", "入れて": "いれて",
    "開けて": "あけて", "着がえ": "きがえ", "着替え": "きがえ", "分け方": "わけかた",
    "日本": "にほん", "日本人": "にほんじん", "日本語": "にほんご", "何時": "なんじ",
    # No single kanji here: an override wins over the dictionary and would split
    # compounds (後 in 午後).
}

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
        return (base[:-1] + "っ" if base.endswith("じゅう") else base) + changed
    last = n % 10
    if last in table:
        return _last_digit(n, {last: table[last]}) + changed
    return number_reading(n) + plain


def counter_reading(n, counter):
    """The reading of a number with its counter, or None if unknown."""
    if counter in ("時", "時間"):
        return _last_digit(n, {4: "よ", 7: "しち", 9: "く"}) + (
            "じ" if counter == "時" else "じかん")
    if counter == "人":
        return {1: "ひとり", 2: "ふたり"}.get(n) or _last_digit(n, {4: "よ", 7: "しち"}) + "にん"
    if counter == "日":
        return _DAYS.get(n) or number_reading(n) + "にち"
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
    if counter == "円":
        return _last_digit(n, {4: "よ"}) + "えん"
    if counter == "歳":
        return {20: "はたち"}.get(n) or _small_tsu(n, "さい", "さい", {1: "いっ", 8: "はっ"})
    return None


COUNTERS = ("時間", "時", "人", "日", "月", "年", "分", "階", "回", "円", "歳")
_KANJI = r"[\u3400-\u4dbf\u4e00-\u9fff\u3005]"
_HAS_KANJI = re.compile(_KANJI)
_NUMBER_COUNTER = re.compile(r"(\d{1,4})(" + "|".join(COUNTERS) + ")")


@functools.cache
def _kakasi():
    import pykakasi  # loaded on first use: its dictionary takes a moment

    return pykakasi.kakasi()


@functools.cache
def _override_pattern():
    words = sorted(OVERRIDES, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words))


def to_hiragana(text):
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def ruby(word, reading):
    """One <ruby>, with kana at either end of the word left outside it."""
    if not _HAS_KANJI.search(word):
        return html.escape(word)
    start = 0
    while (start < len(word) - 1 and start < len(reading) - 1
           and not _HAS_KANJI.match(word[start])
           and to_hiragana(word[start]) == reading[start]):
        start += 1
    end = 0
    while (end < len(word) - start - 1 and end < len(reading) - start - 1
           and not _HAS_KANJI.match(word[-1 - end])
           and to_hiragana(word[-1 - end]) == reading[-1 - end]):
        end += 1
    core = word[start:len(word) - end]
    core_reading = reading[start:len(reading) - end]
    return (html.escape(word[:start]) + f"<ruby>{html.escape(core)}<rt>"
            f"{html.escape(core_reading)}</rt></ruby>" + html.escape(word[len(word) - end:]))


def readings(text):
    """(surface, reading or None) pieces of a text, in order."""
    pieces = []
    position = 0
    pattern = re.compile(_NUMBER_COUNTER.pattern + "|" + _override_pattern().pattern)
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces += _dictionary(text[position:match.start()])
        surface = match.group(0)
        if match.group(1):
            reading = counter_reading(int(match.group(1)), match.group(2))
            pieces.append((surface, reading))
        else:
            pieces.append((surface, OVERRIDES[surface]))
        position = match.end()
    if position < len(text):
        pieces += _dictionary(text[position:])
    return pieces


# A single kanji the dictionary returns as a token of its own, read as a word
# (compounds such as 日本人 come as one token and keep their reading).
TOKEN_READINGS = {"人": "ひと", "後": "あと", "方": "かた", "先": "さき", "上": "うえ",
                  "下": "した", "中": "なか", "前": "まえ", "外": "そと"}


def _dictionary(text):
    return [(token["orig"], TOKEN_READINGS.get(token["orig"]) or token["hira"]
             if _HAS_KANJI.search(token["orig"]) else None)
            for token in _kakasi().convert(text)]


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
