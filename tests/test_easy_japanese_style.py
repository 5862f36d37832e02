"""Easy Japanese style (issue 18, item 3): the ja-x-easy catalog follows the measurable
rules of 「在留支援のためのやさしい日本語ガイドライン」 (出入国在留管理庁・文化庁, 2020).

Rules, limits and word lists are explained in docs/easy-japanese.md. The check is a
ratchet: the count may go down, never up. Run it as a script to see every violation:

    .venv/bin/python tests/test_easy_japanese_style.py
"""

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = (Path(__file__).resolve().parent.parent / "translations" / "ja_x_easy"
           / "LC_MESSAGES" / "messages.po")

# the ratchet: violations counted after the rewrite of December 2026 (before: 194)
MOST = 0

# a sentence longer than this (characters without spaces, punctuation, brackets and
# placeholders) asks too much of a reader; the guideline's "一文を短く", made a number
LONGEST = 30
# one idea per sentence: at most this many clause joints (〜て、〜が、〜ので、…)
JOINTS = 1

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdfrx]|%%|%[sd]")
SENTENCE_END = re.compile(r"(?<=[。？！?!])|\n|：")
BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")
NOT_COUNTED = re.compile(r"[\s、。，,.：:；;！？!?「」『』（）()［］\[\]・／/〜~\-–—…“”\"']")
LATIN = re.compile(r"[A-Za-z0-9_@+#*$%&=<>{}…]+")
KATAKANA_WORD = re.compile(r"[ァ-ヺー]+(?:[・][ァ-ヺー]+)*")
KANJI_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々]+")
# a clause that ends and another that begins, followed by a comma: te-form, が, ので,
# から, けど, たら, ば, ても, し, ながら, たり, a verb and か (ひらくか、) or と (すると、)
JOINT = re.compile(r"(?:[てで]|が|ので|から|けど|けれど|たら|だら|ても|でも|ば|し|ながら|たり"
                   r"|[うくすつぬむるいた]か|[うくすつぬむる]と)、")
# double negatives and "must" said with two negatives (〜なければ なりません, 〜ないと
# いけません, 〜ない わけでは ありません, 〜なくは ない)
DOUBLE_NEGATIVE = re.compile(
    r"なければ\s*(?:なりません|いけません|ならない)|なくては\s*(?:なりません|いけません)"
    r"|ないと\s*いけません|ない\s*わけでは|ない\s*ことは\s*(?:ない|ありません)|なくは\s*ない")

# loanwords an evacuee or a shelter's staff knows, or that name what is on the screen
# (see docs/easy-japanese.md); every other katakana word is one to paraphrase
ALLOWED_KATAKANA = {
    # the device, the screen and its parts: the words on the buttons themselves
    "タブレット", "スマホ", "パスワード", "ログイン", "ログアウト", "ページ", "ボタン",
    "メニュー", "リンク", "ファイル", "コード",  # QR コード
    "メール", "メールアドレス", "インターネット", "カメラ", "キーボード", "タップ",
    "コピー", "アルファベット", "スペース", "ポスター", "カード",
    # disaster and daily-life words taught as Easy Japanese key words
    "ボランティア", "アレルギー", "ミルク", "ハラール", "ベジタリアン", "ペット",
    "パスポート", "センター",
    # the city's own job title (外国人支援情報コーディネーター), a key word kept as is
    "コーディネーター",
    # everyday computer words with no plainer Japanese (JLPT N4-N3 vocabulary or words
    # on every phone): what the coordinator's computer and the tablets show
    "アプリ", "コンピューター", "メモ", "アドレス", "ダウンロード", "アップロード",
    "フォルダー", "プログラム", "バージョン",
    # for whoever installs and runs the tool: names of things to find as they are in
    # other programs and their help pages (an explanation is added where it helps)
    "データベース", "ブラウザ", "トークン",
}
# kanji a reader meets first (N5, with furigana added on the page), and names that must
# match another document word for word (the columns of the shelter lists)
ALLOWED_KANJI = {
    "人", "日", "日本", "時間", "分", "名前", "区", "水", "所",
    "指定緊急避難場所一覧", "指定避難所", "指定緊急避難場所",
}


def _texts(message):
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return [s for s in strings if s]


def _ids(message):
    return message.id if isinstance(message.id, (tuple, list)) else (message.id,)


def sentences(text):
    """The sentences of a text: split at 。？！, line breaks and the colon after a label;
    a bracketed explanation is a sentence of its own."""
    text = PLACEHOLDER.sub("", text)
    found = []
    for inner in BRACKETED.findall(text):
        found.extend(sentences(inner[1:-1]))
    text = BRACKETED.sub("", text)
    found.extend(part.strip() for part in SENTENCE_END.split(text) if part.strip())
    return found


def length(sentence):
    """Characters a reader takes in: no spaces, punctuation or brackets; a code, number
    or Latin word to copy as it is (UTF-8, 2026-11-26, X-CSRFToken) counts as one."""
    return len(LATIN.sub("A", NOT_COUNTED.sub("", sentence)))


def violations_of(text):
    """(rule, detail) of every violation in one msgstr."""
    found = []
    bare = PLACEHOLDER.sub("", text)
    for sentence in sentences(text):
        if length(sentence) > LONGEST:
            found.append(("long", sentence))
        if len(JOINT.findall(sentence)) > JOINTS:
            found.append(("ideas", sentence))
    for word in KATAKANA_WORD.findall(bare):
        if any(part not in ALLOWED_KATAKANA for part in word.split("・")):
            found.append(("katakana", word))
    for word in KANJI_WORD.findall(bare):
        if word not in ALLOWED_KANJI:
            found.append(("kanji", word))
    for match in DOUBLE_NEGATIVE.finditer(bare):
        found.append(("negative", match.group()))
    return found


def load(path=CATALOG):
    with open(path, "rb") as f:
        return read_po(f)


def violations(path=CATALOG):
    """(msgid, rule, detail) of every violation over every msgstr of the catalog."""
    found = []
    for message in load(path):
        if not message.id:
            continue
        for text in _texts(message):
            found.extend((_ids(message)[0], rule, detail) for rule, detail in violations_of(text))
    return found


def placeholder_mismatches(path=CATALOG):
    wrong = []
    for message in load(path):
        if not message.id:
            continue
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in _ids(message)))
        for text in _texts(message):
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((_ids(message)[0], text))
    return wrong


def test_the_rules_find_what_they_are_about():
    assert [r for r, _ in violations_of("スタッフに きいて ください。")] == ["katakana"]
    assert violations_of("タブレットで ログイン して ください。") == []
    assert [r for r, _ in violations_of("避難所に いきます。")] == ["kanji"]
    assert violations_of("%(name)sの 名前を かいて ください。") == []
    long = "この ひなんじょの タブレットは、ひなん して いる 人の かずと ひつような ものを かきます。"
    assert [r for r, _ in violations_of(long)] == ["long"]
    assert violations_of("ひなんじょ（にげる ところ）に いきます。") == []
    assert [r for r, _ in violations_of("みて、かいて、おくって ください。")] == ["ideas"]
    assert [r for r, _ in violations_of("だれが いるか、なにを するか、みせます。")] == ["ideas"]
    assert violations_of("ログイン すると、つかえます。") == []
    assert [r for r, _ in violations_of("かかないと いけません。")] == ["negative"]


def test_easy_japanese_style_does_not_get_worse():
    found = violations()
    assert len(found) <= MOST, "\n".join(f"{rule}: {detail}  ← {msgid!r}"
                                         for msgid, rule, detail in found)


def test_placeholders_match_the_english():
    assert placeholder_mismatches() == []


if __name__ == "__main__":
    found = violations(sys.argv[1] if len(sys.argv) > 1 else CATALOG)
    for msgid, rule, detail in found:
        print(f"{rule}\t{detail}\t{msgid}")
    counts = {}
    for _, rule, _ in found:
        counts[rule] = counts.get(rule, 0) + 1
    print(f"{len(found)} violations", counts, file=sys.stderr)
