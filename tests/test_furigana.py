"""Furigana for Easy Japanese: readings of the words disaster notices use."""

import pytest

from disaster_support.notices.furigana import counter_reading, reading_of, to_ruby_html

WORDS = {
    "避難所": "ひなんじょ", "給水所": "きゅうすいじょ", "救護所": "きゅうごしょ",
    "避難者": "ひなんしゃ", "被災者": "ひさいしゃ", "地震": "じしん", "余震": "よしん",
    "津波": "つなみ", "台風": "たいふう", "洪水": "こうずい", "大雨": "おおあめ",
    "土砂崩れ": "どしゃくずれ", "火事": "かじ", "停電": "ていでん", "断水": "だんすい",
    "避難": "ひなん", "災害": "さいがい", "警報": "けいほう", "注意報": "ちゅういほう",
    "救急車": "きゅうきゅうしゃ", "病院": "びょういん", "薬": "くすり", "医師": "いし",
    "看護師": "かんごし", "保健師": "ほけんし", "水": "みず", "飲み水": "のみみず",
    "飲料水": "いんりょうすい", "食料": "しょくりょう", "毛布": "もうふ",
    "炊き出し": "たきだし", "入浴": "にゅうよく", "消灯": "しょうとう", "禁煙": "きんえん",
    "携帯電話": "けいたいでんわ", "充電": "じゅうでん", "受付": "うけつけ",
    "市役所": "しやくしょ", "区役所": "くやくしょ", "大使館": "たいしかん",
    "領事館": "りょうじかん", "在留カード": "ざいりゅうかーど", "在留資格": "ざいりゅうしかく",
    "罹災証明書": "りさいしょうめいしょ", "仮設住宅": "かせつじゅうたく",
    "相談": "そうだん", "窓口": "まどぐち", "通訳": "つうやく", "外国人": "がいこくじん",
    "旅券": "りょけん", "氏名": "しめい", "住所": "じゅうしょ", "安全": "あんぜん",
    "危険": "きけん", "支援": "しえん", "申請": "しんせい", "情報": "じょうほう",
    "運休": "うんきゅう", "復旧": "ふっきゅう", "午前": "ごぜん", "午後": "ごご",
    "相模原市": "さがみはらし", "お薬手帳": "おくすりてちょう",
    # numbers with counters: a dictionary would read 3時 as "3 とき"
    "3時": "さんじ", "4時": "よじ", "9時": "くじ", "2人": "ふたり", "1人": "ひとり",
    "4人": "よにん", "5日": "いつか", "20日": "はつか", "10分": "じゅっぷん",
    "30分": "さんじゅっぷん", "4月": "しがつ", "11月": "じゅういちがつ",
}


@pytest.mark.parametrize("word, reading", WORDS.items())
def test_reading(word, reading):
    assert reading_of(word) == reading


def test_there_are_at_least_50_words():
    assert len(WORDS) >= 50


@pytest.mark.parametrize("n, counter, reading", [
    (14, "時", "じゅうよじ"), (17, "時", "じゅうしちじ"), (19, "時", "じゅうくじ"),
    (3, "人", "さんにん"), (15, "日", "じゅうごにち"), (24, "日", "にじゅうよっか"),
    (1, "分", "いっぷん"), (5, "分", "ごふん"), (45, "分", "よんじゅうごふん"),
    (2026, "年", "にせんにじゅうろくねん"), (3, "階", "さんがい"), (2, "時間", "にじかん"),
])
def test_counters(n, counter, reading):
    assert counter_reading(n, counter) == reading


def test_ruby_html_marks_every_kanji_word_and_leaves_kana_outside():
    html = to_ruby_html("午後3時から 避難所で 水を 配ります。")
    assert html == ("<ruby>午後<rt>ごご</rt></ruby><ruby>3時<rt>さんじ</rt></ruby>から "
                    "<ruby>避難所<rt>ひなんじょ</rt></ruby>で <ruby>水<rt>みず</rt></ruby>を "
                    "<ruby>配<rt>くば</rt></ruby>ります。")


def test_paraphrase_in_brackets_gets_furigana_too():
    html = to_ruby_html("余震〈あとから 来る 地震〉")
    assert "<ruby>余震<rt>よしん</rt></ruby>〈あとから <ruby>来<rt>く</rt></ruby>る " in html
    assert "<ruby>地震<rt>じしん</rt></ruby>〉" in html


def test_html_is_escaped():
    assert to_ruby_html("<b>水</b>") == "&lt;b&gt;<ruby>水<rt>みず</rt></ruby>&lt;/b&gt;"
