"""Demo data: Sagamihara's real shelters and a plausible first evening after
a weekday-afternoon earthquake (deterministic, so every newcomer sees the
same picture and re-running changes nothing)."""

import datetime
import json
import random
from pathlib import Path

from .accounts import devices, users
from .audit.log import Actor
from .claims import records as claims
from .db import TOKYO, get_db
from .intake import evacuation, jma
from .live import seen
from .needs import records
from .outreach import reach
from .shelters import registry
from .shelters.importer import import_shelters, read_source
from .translating import review

# Rough shares of Sagamihara's foreign residents by language (approximate,
# for demo data only): China, Vietnam, the Philippines, Indonesia, Korea,
# Nepal, Brazil, Peru, Cambodia, Thailand...
LANGUAGE_WEIGHTS = {
    "zh-Hans": 28, "vi": 20, "tl": 14, "id": 8, "ko": 8, "ne": 6, "pt": 5, "es": 4,
    "km": 2, "th": 2, "en": 2, "my": 1, "mn": 1, "zh-Hant": 1,
}
OPEN_SHELTERS = 30
FULL_SHELTERS = 3
PREPARING_SHELTERS = 6
DEMO = Actor("demo", "admin", "demo")
DEMO_USERS = (("coordinator", "coordinator"), ("admin", "admin"))


def load_demo(app):
    db = get_db()
    city = app.extensions["city"]
    sources = [read_source(Path(city.folder) / name) for name in city.default_files]
    import_shelters(db, sources, city, actor=DEMO)
    rng = random.Random(20261125)
    candidates = registry.list_shelters(db, kind="designated_shelter", sort="name")
    chosen = rng.sample(candidates, OPEN_SHELTERS + FULL_SHELTERS + PREPARING_SHELTERS)
    foreign_total = 0
    for index, shelter in enumerate(chosen):
        if index < OPEN_SHELTERS + FULL_SHELTERS:
            status = "open" if index < OPEN_SHELTERS else "full"
            capacity = rng.randrange(300, 1300, 50)
            evacuees = capacity if status == "full" else rng.randrange(40, capacity)
            foreign = max(1, round(evacuees * rng.uniform(0.02, 0.09)))
            counts = _spread(rng, foreign)
            foreign_total += sum(counts.values())
            values = {
                "status": status, "capacity": capacity, "evacuees": evacuees,
                "languages": counts,
                "staff_languages": ["ja"] + rng.sample(["en", "zh-Hans", "vi", "ko", "tl"],
                                                       rng.randint(0, 2)),
                **{fact: rng.choice(["1", "0", ""]) for fact in registry.FACTS},
            }
        else:
            values = {"status": "preparing", "capacity": rng.randrange(300, 1000, 50)}
        registry.update_shelter(db, shelter["id"], values, actor=DEMO)
    needs = _demo_needs(db, rng, chosen[:OPEN_SHELTERS + FULL_SHELTERS])
    _demo_notices(db, chosen[:OPEN_SHELTERS + FULL_SHELTERS])
    _demo_volunteers(db, rng, chosen[:OPEN_SHELTERS + FULL_SHELTERS], city)
    needs += _demo_places(db, city)
    _demo_patrol(db, city)
    _demo_desk(db, city)
    _demo_official(db, city)
    _demo_drill(app, random.Random(20261118))
    return {"shelters": registry.count_shelters(db)["shelters"],
            "open": OPEN_SHELTERS + FULL_SHELTERS, "foreign": foreign_total, "needs": needs,
            "first_open": chosen[0]["id"], "first_open_name": chosen[0]["name"]}


def demo_accounts(db, shelter_id):
    """Demo sign-ins with fresh passwords, and a tablet link for one open shelter.

    Passwords are new at every call and printed once, never fixed in code: a
    demo instance left on a LAN is not an open door.
    """
    accounts = []
    staff = f"staff-{shelter_id[-7:-3]}"
    for username, role in DEMO_USERS + ((staff, "shelter_staff"),):
        password = users.new_password()
        try:
            user = users.get_user(db, username=username)
            users.set_password(db, user["id"], password, actor=DEMO)
        except users.UserNotFound:
            users.create_user(db, username, role, password, actor=DEMO,
                              shelters=[shelter_id] if role == "shelter_staff" else ())
        accounts.append((username, role, password))
    # a volunteer who has a confirmed assignment signs in as "volunteer"
    row = db.execute("SELECT volunteer_id FROM assignment WHERE status = 'confirmed' "
                     "ORDER BY id LIMIT 1").fetchone()
    if row:
        password = users.new_password()
        try:
            user = users.get_user(db, username="volunteer")
            users.set_password(db, user["id"], password, actor=DEMO)
            user_id = user["id"]
        except users.UserNotFound:
            user_id = users.create_user(db, "volunteer", "volunteer", password, actor=DEMO)
        db.execute("UPDATE volunteer SET user_id = NULL WHERE user_id = ?", [user_id])
        db.execute("UPDATE volunteer SET user_id = ? WHERE id = ?", [user_id, row[0]])
        accounts.append(("volunteer", "volunteer", password))
    _demo_workspace(db)
    _, token = devices.issue_device(db, shelter_id, "demo tablet", days=1, actor=DEMO)
    return accounts, token


def _demo_workspace(db):
    """The coordinators' live workspace mid-event: the last needs recorded are new to
    them, and the admin is handling the oldest critical one."""
    newest = db.execute("SELECT coalesce(max(id), 0) FROM need").fetchone()[0]
    for username in ("coordinator", "admin"):
        user = users.get_user(db, username=username)
        seen.set_floor(db, user["id"], max(0, newest - 5))
    critical = db.execute("SELECT id FROM need WHERE urgency = 'critical' AND status = 'open' "
                          "ORDER BY created_at LIMIT 1").fetchone()
    if critical:
        admin = users.get_user(db, username="admin")
        claims.take(db, "need", critical[0], account_id=admin["id"], username="admin",
                    take_over=True)


# What foreign evacuees ask for on the first evening, roughly: weights per category.
NEED_WEIGHTS = {
    "interpretation": 14, "information": 12, "food": 12, "medicine": 8, "medical": 6,
    "water": 5, "contact": 7, "hygiene": 5, "clothing": 4, "children": 5, "translation": 4,
    "religion": 4, "residence": 3, "certificate": 2, "care": 3, "mental_health": 3,
    "transport": 2, "housing": 2, "livelihood": 2, "pets": 1,
}
DEMO_NOTES = {
    "food": "No pork, no alcohol (halal)", "medicine": "Insulin for one person",
    "children": "Baby formula and diapers", "religion": "Quiet place for evening prayer",
    "information": "Are the trains running tomorrow?", "contact": "Wants to call the embassy",
}


def _demo_needs(db, rng, shelters):
    """About 70 needs over the first hours, in the languages each shelter holds."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    categories, weights = zip(*NEED_WEIGHTS.items())
    created = 0
    for number in range(70):
        shelter = registry.get_shelter(db, shelters[number % len(shelters)]["id"])
        if not shelter["languages"]:
            continue
        language = rng.choice(sorted(shelter["languages"]))
        category = rng.choices(categories, weights)[0]
        minutes_ago = rng.randrange(3, 300)
        at = (now - datetime.timedelta(minutes=minutes_ago)).isoformat()
        urgency = rng.choices(["critical", "high", "normal", "low"], [1, 4, 12, 3])[0]
        need, new = records.record_need(db, shelter["id"], {
            "client_id": f"demo-{number:04d}", "category": category, "language": language,
            "people": str(min(shelter["languages"][language], rng.choice([1, 1, 2, 3, 4, 6]))),
            "urgency": urgency, "note": DEMO_NOTES.get(category) if rng.random() < 0.4 else "",
        }, actor=DEMO, at=at)
        if not new:
            continue
        created += 1
        later = (now - datetime.timedelta(minutes=minutes_ago // 2)).isoformat()
        fate = rng.random()
        if fate < 0.25:
            records.transition(db, need["id"], "in_progress", actor=DEMO, at=later)
        elif fate < 0.4:
            records.transition(db, need["id"], "resolved", actor=DEMO, at=later)
    return created


def _demo_notices(db, shelters):
    """The notices of a first evening: once, if there are none yet."""
    from .notices import records as notices
    from .notices.templates import templates

    if db["notice"].count:
        return
    first = shelters[0]
    chuo = next((s for s in shelters if s["ward"] == "chuo"), first)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).date()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    plans = [
        ("aftershock", {}, "all", []),
        ("water-supply", {"place": f"shelter:{chuo['id']}", "time_range": "15:00-17:30"},
         "wards", [chuo["ward"]]),
        ("food-distribution", {"place": f"shelter:{first['id']}", "time_range": "18:00-19:30",
                               "item": "halal_food"}, "shelters", [first["id"]]),
        ("consultation-desk", {"place": "相模原市役所 本館1階", "time_range": "09:00-17:00",
                               "phone": "042-754-1111"}, "all", []),
        ("disaster-certificate", {"place": "中央区役所", "date": tomorrow,
                                  "time_range": "08:30-17:15"}, "all", []),
        ("baths", {"place": f"shelter:{first['id']}", "date": tomorrow,
                   "time_range": "10:00-20:00",
                   "note": "男性 10:00-15:00、女性 15:00-20:00"}, "wards", [first["ward"]]),
    ]
    for template_id, slots, area_kind, area in plans:
        template = templates().get(template_id)
        if template is None:
            continue
        slots = {k: v for k, v in slots.items() if k in template.slots}
        notice_id = notices.create_notice(db, template_id=template_id, slots=slots,
                                          source_language="ja", actor=DEMO)
        notices.publish(db, notice_id, area_kind=area_kind, area=area, actor=DEMO)
        if slots.get("note"):
            notices.add_translation(db, notice_id, "en", actor=DEMO,
                                    note="Men 10:00-15:00, women 15:00-20:00.")
    free = notices.create_notice(
        db, category="information", source_language="ja", title="明日の説明会",
        body="明日 午前10時から 体育館で 生活再建の 説明会を 行います。通訳が います。",
        actor=DEMO)
    notices.add_translation(db, free, "en", actor=DEMO, title="Information meeting tomorrow",
                            body="Tomorrow from 10 a.m. there is a meeting in the gym about "
                                 "rebuilding daily life. Interpreters will be there.")
    notices.publish(db, free, actor=DEMO)
    # translations checked by a second person: English reviewed, Vietnamese waiting
    review.review_notice_translation(db, free, "en", actor=Actor("coordinator", "coordinator",
                                                                  "demo"))
    notices.add_translation(db, free, "vi", actor=DEMO, translator="Nguyen Thi Lan",
                            title="Buổi giải thích ngày mai",
                            body="Từ 10 giờ sáng mai có buổi giải thích về việc ổn định lại "
                                 "cuộc sống tại nhà thể chất. Có phiên dịch.")


VOLUNTEER_NAMES = {
    "zh-Hans": ["Wang Fang", "Li Na", "Zhang Wei", "Liu Yang", "Chen Jing", "Yang Lei"],
    "vi": ["Nguyen Thi Lan", "Tran Van Minh", "Le Thi Hoa", "Pham Quoc Bao"],
    "tl": ["Maria Santos", "Jose Reyes", "Ana Cruz"],
    "id": ["Siti Rahma", "Budi Santoso"],
    "ko": ["Kim Min-ji", "Park Ji-hoon"],
    "ne": ["Ramesh Gurung", "Sita Thapa"],
    "pt": ["Ana Oliveira", "Lucas Souza"],
    "es": ["Carlos Quispe", "Rosa Mamani"],
    "km": ["Sokha Chan"], "th": ["Somchai Srisuk"], "my": ["Aung Ko Ko"],
    "mn": ["Bat-Erdene Ganbold"], "en": ["Emily Carter", "David Brown"],
    "ja": ["佐藤 花子", "鈴木 一郎", "高橋 由美", "田中 健"],
}


def _demo_volunteers(db, rng, shelters, city):
    """Interpreters and helpers of the city's volunteer list, once."""
    from .volunteers import assignments
    from .volunteers import registry as volunteers

    if db["volunteer"].count:
        return
    wards = {w.id for w in city.wards}
    center = city.center
    for tag, names in VOLUNTEER_NAMES.items():
        for index, name in enumerate(names):
            spoken = {tag: "native"} if tag != "ja" else {"ja": "native", "en": "conversational"}
            if tag != "ja":
                spoken["ja"] = rng.choice(["fluent", "conversational", "simple_japanese"])
                if rng.random() < 0.4:
                    spoken["en"] = rng.choice(["fluent", "conversational"])
            skill_set = ["interpretation"]
            if rng.random() < 0.35:
                skill_set.append("translation")
            if rng.random() < 0.2:
                skill_set.append("medical_interpretation")
            if tag == "ja":
                skill_set = ["easy_japanese", rng.choice(["counselling", "childcare", "driving",
                                                          "legal_residence"])]
            volunteer_id = volunteers.create_volunteer(db, {
                "name": name, "ward": rng.choice(sorted(wards)),
                "lat": round(center[0] + rng.uniform(-0.06, 0.06), 4),
                "lon": round(center[1] + rng.uniform(-0.12, 0.08), 4),
                "max_assignments": str(rng.choice([1, 2, 2, 3])), "consent_date": "2026-04-01",
                "languages": spoken, "skills": skill_set,
            }, actor=DEMO, wards=wards)
            if rng.random() < 0.7:
                place = "center" if rng.random() < 0.5 else rng.choice(shelters)["id"]
                volunteers.check_in(db, volunteer_id, place, actor=DEMO)
    assignments.propose(db, actor=DEMO)
    for proposal in assignments.list_assignments(db, status="proposed")[:8]:
        assignments.confirm(db, proposal["id"], actor=DEMO)


# Where foreign residents are on the first evening besides the shelters (as in Kumamoto,
# Joso and Noto): a mosque, a dormitory of technical interns, a supermarket car park where
# families sleep in their cars, people staying at home in Midori-ku.
DEMO_PLACES = [
    ({"kind": "religious_facility", "name": "相模大野 礼拝所（モスク）", "lat": "35.5318",
      "lon": "139.4362", "address": "相模原市南区相模大野", "contact": "礼拝所 代表",
      "evacuees": "48", "languages": {"id": 32, "en": 12}, "food_halal": "1",
      "prayer_space": "1", "name_romaji": "Sagami-Ono Reihaisho",
      "name_en": "Sagami-Ono Mosque (prayer hall)"},
     [("food", "id", 30, "high", "Halal food only: no pork, no alcohol"),
      ("religion", "id", 12, "normal", "Prayer times: can the hall stay open at night?")]),
    ({"kind": "dormitory", "name": "田名 技能実習生寮", "lat": "35.5905", "lon": "139.3505",
      "address": "相模原市中央区田名", "contact": "監理団体 担当者", "evacuees": "26",
      "languages": {"vi": 22, "id": 4}, "name_romaji": "Tana Ginou Jisshusei Ryo",
      "name_en": "Tana dormitory of technical interns"},
     [("interpretation", "vi", 22, "high", "Company says come to work tomorrow: is it safe?"),
      ("information", "vi", 22, "normal", "Where to get water near the dormitory")]),
    ({"kind": "car_sleeping", "name": "スーパー駐車場（車中泊）", "lat": "35.5449",
      "lon": "139.4150", "address": "相模原市南区", "evacuees": "17",
      "languages": {"pt": 9, "es": 6}, "name_romaji": "Super Chushajo Shachuhaku",
      "name_en": "Supermarket car park (people sleeping in cars)"},
     [("medical", "pt", 1, "critical", "Leg pain and swelling after two nights in the car"),
      ("water", "es", 6, "normal", "")]),
    ({"kind": "at_home", "name": "緑区 在宅避難（橋本）", "ward": "midori",
      "district": "緑区橋本", "evacuees": "20", "languages": {"zh-Hans": 14, "tl": 6},
      "name_romaji": "Midori-ku Zaitaku Hinan Hashimoto",
      "name_en": "Staying at home, Hashimoto (Midori-ku)"},
     [("information", "zh-Hans", 14, "normal", "Is tap water safe to drink?"),
      ("food", "tl", 6, "normal", "")]),
]


def _demo_places(db, city):
    """The places beyond the shelters, with their needs, once; returns the needs added."""
    from .shelters import places

    if db.execute("SELECT count(*) FROM shelter WHERE official = 0").fetchone()[0]:
        return 0
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    created = 0
    for number, (values, place_needs) in enumerate(DEMO_PLACES):
        place = places.create_place(db, values, city, actor=DEMO)
        for index, (category, language, people, urgency, note) in enumerate(place_needs):
            at = (now - datetime.timedelta(minutes=40 + 25 * index + 7 * number)).isoformat()
            _, new = records.record_need(db, place["id"], {
                "client_id": f"demo-place-{number}-{index}", "category": category,
                "language": language, "people": people, "urgency": urgency, "note": note},
                actor=DEMO, at=at, origin="patrol" if number < 2 else "staff")
            created += new
    return created


def _demo_patrol(db, city):
    """A patrol round on its way: two teams, the first has visited its first place."""
    from .patrols import rounds, visits

    if db["patrol_round"].count:
        return
    try:
        round_id = rounds.create_round(db, city, {"teams": 2, "stops_per_team": 4,
                                                  "team_size": 2}, name="夕方の巡回", actor=DEMO)
    except registry.ValidationError:
        return  # nobody checked in (a city's own demo data)
    first = rounds.get_round(db, round_id)["teams"][0]
    stop = first["stops"][0]
    counts = {tag: max(1, people - 1) for tag, people in stop["languages"].items()}
    visits.record_visit(db, {
        "client_id": f"demo-visit-{round_id}", "place_id": stop["place_id"],
        "team_id": first["id"], "languages": counts, "notices": [],
        "note": "Most people have eaten; few know where the consultation desk is.",
        "follow_up": "Bring the consultation-desk notice in their languages tomorrow."},
        actor=DEMO)


# A day at the center's desk: (minutes ago, channel, language, topic, question, answer,
# referral, hours until the follow-up is due).
DEMO_CONSULTATIONS = [
    (300, "phone", "ne", "residence", "My residence card expires next week and the "
     "immigration office is closed. Will I be punished?", "Immigration extends the stay "
     "of people affected by the disaster; we will call back when the office reopens.",
     "immigration", 20),
    (250, "interpreter_call", "vi", "work", "The company says the interns must come to "
     "work tomorrow although the dormitory has no water.", "Workers may refuse unsafe "
     "work; we gave the labour standards office's number.", "labour", None),
    (200, "walk_in", "zh-Hans", "certificate", "How do we get a disaster certificate for "
     "our flat?", "At the ward office from tomorrow 8:30; bring photos of the damage.",
     "ward_office", None),
    (140, "sns", "tl", "family", "My mother in Manila cannot reach me; how do I tell the "
     "embassy I am safe?", None, None, 2),
    (90, "phone", "pt", "housing", "Our apartment has cracks in the walls. Can we stay "
     "there?", None, None, None),
    (45, "shelter", "ko", "rumour", "People say foreigners are not allowed into the "
     "shelters. Is it true?", "It is not true: every shelter takes everyone.", None, None),
]


def _demo_desk(db, city):
    """Consultations in several languages, a rumour being answered, a hand-over."""
    from .desk import consultations, handover, help_requests, rumours

    if db["consultation"].count:
        return
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    interpreter = db.execute("SELECT v.id FROM volunteer v JOIN volunteer_language l ON "
                             "l.volunteer_id = v.id WHERE l.language = 'vi' ORDER BY v.id "
                             "LIMIT 1").fetchone()
    for number, (minutes, channel, language, topic, question, answer, referral,
                 due_hours) in enumerate(DEMO_CONSULTATIONS):
        values = {"client_id": f"demo-consultation-{number}", "channel": channel,
                  "language": language, "topic": topic, "question": question,
                  "answer": answer, "referral": referral}
        if due_hours is not None:
            values["follow_up_due"] = (now + datetime.timedelta(hours=due_hours)).isoformat()
        if channel == "interpreter_call" and interpreter:
            values["interpreter_id"] = interpreter[0]
        at = (now - datetime.timedelta(minutes=minutes)).isoformat()
        consultations.record_consultation(db, values, city, actor=DEMO, at=at)
    rumour = rumours.log_rumour(db, {"text": "避難所に外国人は入れない", "source": "sns",
                                     "language": "ko"}, actor=DEMO)
    for source, language in (("phone", "vi"), ("shelter", "tl"), ("sns", "zh-Hans")):
        rumours.heard_again(db, rumour, {"source": source, "language": language}, actor=DEMO)
    rumours.set_status(db, rumour, {"status": "false", "fact": "どの避難所も、国籍に関係なく、"
                                    "だれでも受け入れます。"}, actor=DEMO)
    rumours.answer(db, rumour, actor=DEMO)  # a draft, to translate and publish
    rumours.log_rumour(db, {"text": "水道の水に毒が入っている", "source": "community",
                            "language": "ne"}, actor=DEMO)
    tomorrow = (now + datetime.timedelta(days=1)).astimezone(TOKYO)
    help_id = help_requests.create_request(db, {
        "partner": "かながわ国際交流財団 多言語支援センターかながわ", "languages": ["ne"],
        "people": 2, "skills": ["interpretation", "medical_interpretation"],
        "place": "相模原市 災害多言語支援センター（市役所本館）",
        "contact": "災害多言語支援センター 042-754-1111（代表）",
        "starts_at": tomorrow.replace(hour=9, minute=0, second=0).isoformat(),
        "ends_at": (tomorrow + datetime.timedelta(days=4)).replace(
            hour=18, minute=0, second=0).isoformat(),
        "note": "ネパール語の通訳が市内にいません。夜間の対応もお願いします。"}, actor=DEMO)
    help_requests.set_status(db, help_id, "sent", actor=DEMO)
    handover.hand_over(db, {"shift_label": "夜勤 → 日勤", "next_shift": "coordinator",
                            "notes": "ネパール語の通訳が足りない。県のセンターに相談中。"},
                       actor=DEMO)


def _demo_official(db, city):
    """Official information: an evacuation order for slopes in Midori-ku that the
    earthquake loosened, and JMA's intensity report waiting as a draft."""

    if db["evacuation_order"].count:
        return
    opened = db.execute("SELECT id FROM shelter WHERE ward = 'midori' AND kind = "
                        "'designated_shelter' AND status = 'open' ORDER BY id LIMIT 1").fetchone()
    order, _ = evacuation.issue(db, {
        "client_id": "demo-evacuation-order-1", "level": "order", "hazard": "landslide",
        "areas": ["district:midori/与瀬", "district:midori/千木良"],
        "places": ["shelter:" + opened[0]] if opened else [], "note": ""}, city, actor=DEMO)
    # what reached whom: posted on the wall where it was opened, read in a few languages
    notice = db.execute("SELECT area FROM notice WHERE id = ?", [order["notice_id"]]).fetchone()
    places = json.loads(notice[0])
    if places:
        reach.confirm_posted(db, order["notice_id"], places[0], actor=DEMO)
        for tag, views in (("ja", 14), ("vi", 6), ("zh-Hans", 4), ("ja-x-easy", 3)):
            for _ in range(views):
                reach.count_views(db, [order["notice_id"]], places[0], tag)
    sample = Path(city.folder) / "jma" / "sample-earthquake.xml"
    if sample.exists():  # another city's data may have none
        today = datetime.datetime.now(TOKYO).date().isoformat()
        jma.import_report(db, sample.read_bytes().replace(b"2026-12-02T10:",
                                                          f"{today}T14:".encode()),
                          city, actor=DEMO, origin="demo")


def _spread(rng, people):
    """People split over languages with Sagamihara's skew."""
    tags, weights = zip(*LANGUAGE_WEIGHTS.items())
    counts = {}
    for tag in rng.choices(tags, weights=weights, k=people):
        counts[tag] = counts.get(tag, 0) + 1
    return counts


DEMO_DRILL = "m7-weekday-afternoon"


def _demo_drill(app, rng):
    """The earthquake drill as the city held it a week ago, with its report: needs
    taken on a few minutes after they came in, most resolved, some still waiting
    at the end; an interpreter matched; one notice in Japanese only."""
    from . import db as database
    from .drills import runs
    from .notices import records as notices
    from .volunteers import assignments

    if runs.archived(app) or runs.active_drill(app):
        return
    real_clock = database.NOW
    moment = {"now": real_clock() - datetime.timedelta(days=7)}
    database.NOW = lambda: moment["now"]  # the drill's own time, a week ago
    try:
        runs.start(app, DEMO_DRILL, "fast")
        db = database.connect(runs.active_drill(app)["database"])
        state = runs.info(db)
        actions = []  # (minute, what to do)
        for inject in runs.pending(db):
            actions.append((inject["at_minute"], lambda: runs.deliver_due(db)))
            if inject["kind"] != "need" or json.loads(inject["spec"])["category"] == \
                    "interpretation":
                continue  # interpreters: left to the matching at T+42
            taken = inject["at_minute"] + rng.randint(3, 25)
            done = taken + rng.randint(15, 80)
            if rng.random() < 0.8:
                actions.append((taken, lambda i=inject["id"]: _move(db, i, "in_progress")))
                if rng.random() < 0.75:
                    actions.append((done, lambda i=inject["id"]: _move(db, i, "resolved")))
        actions.append((42, lambda: assignments.propose(db, actor=DEMO)))
        actions.append((47, lambda: [assignments.confirm(db, a["id"], actor=DEMO) for a in
                                     assignments.list_assignments(db, status="proposed")]))

        def notice():
            notice_id = notices.create_notice(
                db, title="給水のお知らせ", body="上溝中学校の体育館で飲料水を配ります。",
                category="water", source_language="ja", actor=DEMO)
            notices.publish(db, notice_id, actor=DEMO)

        actions.append((35, notice))
        for minute, action in sorted(actions, key=lambda a: a[0]):
            if minute <= state["duration"]:
                moment["now"] = datetime.datetime.fromisoformat(runs.moment_of(state, minute))
                action()
        moment["now"] = datetime.datetime.fromisoformat(runs.moment_of(state, state["duration"]))
        db.close()
        runs.end(app)
    finally:
        database.NOW = real_clock


def _move(db, inject_id, status):
    result = json.loads(db.execute("SELECT result FROM drill_inject WHERE id = ?",
                                   [inject_id]).fetchone()[0] or "{}")
    if "need" in result:
        need = records.get_need(db, result["need"])
        if status in records.TRANSITIONS[need["status"]]:
            records.transition(db, need["id"], status, actor=DEMO)
