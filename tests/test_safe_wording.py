"""Safe wording (issue 18, item 4): texts people act on in an emergency.

Food "for allergy sufferers" is only ever made without *specific* allergens: no text
may claim it is allergen-free or safe, and each tells the reader to ask the staff
which allergens were left out. Walnut (one of Japan's eight mandatory labelled
allergens) is on the board; water one must not drink says so in every language.
Everything is read through the app's own loaders, as the app reads it.
"""

import re

import pytest

from disaster_support.conversation import phrases as phrase_data
from disaster_support.notices.templates import items, templates
from disaster_support.paths import MESSAGES_DIR
from disaster_support.vocabulary import languages, need_categories

TAGS = tuple(languages())

# a text that mentions allergy, per language
ALLERGY = {
    "ja": r"アレルギ|アレルゲン", "ja-x-easy": r"アレルギ|アレルゲン", "en": r"allerg",
    "zh-Hans": r"过敏", "zh-Hant": r"過敏", "ko": r"알레르기", "vi": r"dị ứng",
    "pt": r"al[eé]rg", "es": r"al[eé]rg", "tl": r"allerg", "ne": r"एलर्जी",
    "id": r"alerg", "th": r"แพ้", "my": r"ဓာတ်မတည့်", "km": r"អាឡែ", "mn": r"харшил",
}

# what such a text must never say: allergen-free, safe for allergy sufferers, "for
# people with allergies" as if one food suited every allergy (Japanese compared
# without the spaces of Easy Japanese)
DENY = {
    "ja": [r"アレルギー対応", r"アレルゲンフリー", r"無アレルゲン", r"アレルゲン不使用",
           r"アレルギーの人も食べられる", r"アレルギーのある人の食べ物", r"安心", r"安全"],
    "ja-x-easy": [r"アレルギーの人も食べられる", r"アレルギーのある人の食べ物",
                  r"アレルギー対応", r"あんしん", r"安心", r"安全", r"だれでも食べられる"],
    "en": [r"allergen-free", r"allergy-free", r"allergy-friendly", r"free (of|from) allergens",
           r"no allergens", r"\bsafe\b"],
    "zh-Hans": [r"无过敏原", r"不含过敏原", r"适合过敏者", r"安全"],
    "zh-Hant": [r"無過敏原", r"不含過敏原", r"適合過敏者", r"安全"],
    "ko": [r"알레르기 대응", r"알레르기 프리", r"무알레르기", r"안전", r"안심"],
    "vi": [r"cho người (bị )?dị ứng", r"không gây dị ứng", r"an toàn"],
    "pt": [r"sem alérgenos", r"livre de alérgenos", r"para alérgicos",
           r"adequad[ao] para pessoas com alergia", r"segur[ao]"],
    "es": [r"sin alérgenos", r"libre de alérgenos", r"para alérgicos",
           r"apt[ao] para personas con alergias", r"segur[ao]"],
    "tl": [r"allergy-friendly", r"para sa may allergy", r"walang allergen\b", r"ligtas"],
    "ne": [r"एलर्जी-मैत्री", r"एलर्जी मैत्री", r"एलर्जी मुक्त", r"सुरक्षित"],
    "id": [r"\baman\b", r"bebas alergen", r"tanpa alergen\b(?! tertentu)"],
    "th": [r"สำหรับผู้แพ้อาหาร", r"ปลอดภัย", r"ปราศจากสารก่อภูมิแพ้"],
    "my": [r"ဓာတ်မတည့်သူများအတွက်", r"ဘေးကင်း", r"စိတ်ချ"],
    "km": [r"សម្រាប់អ្នកមានអាឡែហ្ស៊ី", r"សុវត្ថិភាព", r"គ្មានសារធាតុបង្កអាឡែហ្ស៊ី"],
    "mn": [r"харшилд тохирсон", r"аюулгүй", r"харшилгүй"],
}

# food made for allergies names *specific* allergens, then sends the reader to the staff
SPECIFIC = {
    "ja": "特定の", "ja-x-easy": "いくつかの", "en": "specific", "zh-Hans": "特定",
    "zh-Hant": "特定", "ko": "특정", "vi": "nhất định", "pt": "determinados", "es": "ciertos",
    "tl": "partikular", "ne": "निश्चित", "id": "tertentu", "th": "บางชนิด",
    "my": "သတ်မှတ်ထား", "km": "ជាក់លាក់", "mn": "тодорхой",
}
STAFF = {
    "ja": "スタッフ", "ja-x-easy": "スタッフ", "en": "staff", "zh-Hans": "工作人员",
    "zh-Hant": "工作人員", "ko": "직원", "vi": "nhân viên", "pt": "equipe", "es": "personal",
    "tl": "staff", "ne": "कर्मचारी", "id": "petugas", "th": "เจ้าหน้าที่", "my": "ဝန်ထမ်း",
    "km": "បុគ្គលិក", "mn": "ажилтн",
}

WALNUT = {
    "ja": "くるみ", "ja-x-easy": "くるみ", "en": "walnut", "zh-Hans": "核桃", "zh-Hant": "核桃",
    "ko": "호두", "vi": "óc chó", "pt": "noz", "es": "nuez|nueces", "tl": "walnut",
    "ne": "ओखर", "id": "kenari|walnut", "th": "วอลนัท", "my": "သစ်ကြား", "km": "វ៉ាល់ណាត់",
    "mn": "хушга",
}
# Japan's eight mandatory labelled allergens, as phrases of the board's food set
MANDATORY = ("egg", "milk", "wheat", "buckwheat", "peanut", "shrimp", "crab", "walnut")

DO_NOT_DRINK = {
    "ja": "飲めません|飲まないで", "ja-x-easy": "飲めません|飲まないで|のめません|のまないで",
    "en": "do not drink", "zh-Hans": "请勿饮用", "zh-Hant": "請勿飲用", "ko": "마시지 마",
    "vi": "không được uống", "pt": "não beba", "es": "no la beba", "tl": "huwag po itong inumin",
    "ne": "नपिउनुहोस्", "id": "jangan diminum", "th": "ห้ามดื่ม", "my": "မသောက်",
    "km": "កុំផឹក", "mn": "битгий уу",
}


def _plain(tag, text):
    return re.sub(r"\s+", "", text) if tag.startswith("ja") else text


def allergy_texts():
    """(where, tag, text) of every notice text, item and phrase that mentions allergy."""
    found = []
    for template in templates().values():
        for tag, text in template.texts.items():
            found.append((f"notice {template.id}", tag, text["title"] + "\n" + text["body"]))
    for item_id, names in items().items():
        found.extend((f"item {item_id}", tag, name) for tag, name in names.items())
    catalog = phrase_data.catalog()
    for tag in TAGS:
        found.extend((f"phrase {p}", tag, catalog.text(tag, p)) for p in catalog.phrases)
    return [(where, tag, text) for where, tag, text in found
            if re.search(ALLERGY[tag], text, re.I)]


def test_the_lists_cover_every_language():
    for table in (ALLERGY, DENY, SPECIFIC, STAFF, WALNUT, DO_NOT_DRINK):
        assert set(table) == set(TAGS)


def test_no_allergy_text_claims_allergen_free_or_safe():
    texts = allergy_texts()
    # the texts this is about are found in every language
    for where in ("notice food-distribution", "item allergy_friendly_food", "phrase allergy_egg"):
        assert {tag for w, tag, _ in texts if w == where} == set(TAGS), where
    wrong = [(where, tag, deny) for where, tag, text in texts for deny in DENY[tag]
             if re.search(deny, _plain(tag, text), re.I)]
    assert wrong == []


def food_for_allergies():
    """Texts that offer food for allergies: the allergy item, and each food notice."""
    found = [("item allergy_friendly_food", tag, name)
             for tag, name in items()["allergy_friendly_food"].items()]
    for template in templates().values():
        if template.category == "food" and re.search(ALLERGY["ja"], template.text("ja")["body"]):
            found.extend((f"notice {template.id}", tag, text["body"])
                         for tag, text in template.texts.items())
    return found


def test_food_for_allergies_names_specific_allergens_and_sends_to_the_staff():
    found = food_for_allergies()
    assert {w for w, _, _ in found} >= {"item allergy_friendly_food", "notice food-distribution"}
    for where, tag, text in found:
        specific = text.find(SPECIFIC[tag])
        assert specific >= 0, (where, tag, text)
        # "ask the staff which ones" comes with it, not only elsewhere in the text
        assert STAFF[tag].lower() in text[specific:].lower(), (where, tag, text)
    for where in {w for w, _, _ in found}:
        assert {tag for w, tag, _ in found if w == where} == set(TAGS), where


def test_walnut_is_on_the_board_with_the_other_mandatory_allergens():
    catalog = phrase_data.catalog()
    food = next(s for s in catalog.sets if s.id == "food")
    allergens = [p for p in food.phrases if p.startswith("allergy_")]
    assert {f"allergy_{name}" for name in MANDATORY} <= set(allergens)
    # next to the others: the allergy phrases stand together
    first = food.phrases.index(allergens[0])
    assert list(food.phrases[first:first + len(allergens)]) == allergens
    assert catalog.phrases["allergy_walnut"].need == "food"
    for tag in TAGS:
        assert re.search(WALNUT[tag], catalog.text(tag, "allergy_walnut"), re.I), tag
        assert re.search(ALLERGY[tag], catalog.text(tag, "allergy_walnut"), re.I), tag


def test_walnut_is_an_item_wherever_allergens_are_items():
    # items.yaml names things handed out; an allergen is an item only if the others are
    found = items()
    allergen_items = {i for i in found for name in MANDATORY if re.search(name, i)}
    if allergen_items:
        walnut = [i for i in allergen_items if "walnut" in i]
        assert walnut, allergen_items
        assert set(found[walnut[0]]) == set(TAGS)
        for tag in TAGS:
            assert re.search(WALNUT[tag], found[walnut[0]][tag], re.I), tag


@pytest.mark.parametrize("tag", ["my", "km"])
def test_buckwheat_is_written_in_the_language_s_own_script(tag):
    catalog = phrase_data.catalog()
    assert not re.search(r"[A-Za-z]", catalog.text(tag, "allergy_buckwheat"))
    for item_id, names in items().items():
        if "buckwheat" in item_id:
            assert not re.search(r"[A-Za-z]", names[tag]), item_id


def test_non_drinking_water_says_do_not_drink_in_every_language():
    found = templates()
    water = found["water-supply"]
    template = found["non-drinking-water"]
    assert set(template.texts) == set(TAGS) == set(water.texts)
    assert template.slots == water.slots
    # a need for drinking water must not be answered with it: not the "water" category
    assert template.category in need_categories() and template.category != "water"
    assert (MESSAGES_DIR.parent / "static" / need_categories()[template.category]["pictogram"]
            ).is_file()
    for tag, text in template.texts.items():
        assert re.search(DO_NOT_DRINK[tag], text["body"], re.I), tag
        assert template.review(tag)["status"] == "draft", tag
        assert text["title"] != water.texts[tag]["title"], tag
    for tag in ("ja", "ja-x-easy"):
        assert re.search("飲めません|飲まないで", template.text(tag)["body"]), tag
    assert "生活用水" in template.text("ja")["title"] + template.text("ja")["body"]
    # Easy Japanese without avoidable katakana (トイレ has no simpler word)
    katakana = re.findall(r"[ァ-ヺー]+", template.text("ja-x-easy")["body"])
    assert set(katakana) <= {"トイレ"}, katakana


@pytest.mark.parametrize("template_id", ["disaster-certificate", "first-aid"])
def test_filipino_titles_are_filipino(template_id):
    template = templates()[template_id]
    assert template.text("tl")["title"] != template.text("en")["title"]
    english = re.sub(r"\s*\(.*\)", "", template.text("en")["title"]).lower()
    assert english not in template.text("tl")["title"].lower()


def test_medicines_offers_alternatives_with_or():
    template = templates()["medicines"]
    first = {tag: template.text(tag)["body"].split("。")[0] for tag in ("ja", "ja-x-easy")}
    # a chronic illness *or* daily medicine, not both at once
    assert re.search(r"持病がある方、?(または|か)", first["ja"]), first["ja"]
    assert "持病があり、" not in first["ja"]
    assert re.search(r"病気が ある 人(か|、または)", first["ja-x-easy"]), first["ja-x-easy"]
    assert "病気で 毎日" not in first["ja-x-easy"]
    # the notebook or the box
    assert "お薬手帳、または" in template.text("ja")["body"]
    assert "ない ときは" in template.text("ja-x-easy")["body"]
    assert " or " in template.text("en")["body"]
