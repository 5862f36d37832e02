"""What the maps show, as compact plain data (rows, not objects, to stay small
at large-disaster scale: 25,000 places still make one page).

Shown places: every designated or welfare shelter, and any other place that is
not closed (an emergency site that became a shelter). Unmet needs are the
unresolved ones (open, matched, in progress): none, some, or critical (any of
them critical).
"""

from ..needs.records import ACTIVE
from ..shelters.places import PUBLIC_KINDS
from ..shelters.registry import latin_names
from ..vocabulary import languages, need_categories

SHOWN = ("s.lat IS NOT NULL AND s.lon IS NOT NULL "
         "AND (s.kind != 'emergency_site' OR s.status != 'closed')")
PUBLIC_SHOWN = f"{SHOWN} AND s.kind IN ({', '.join(repr(k) for k in PUBLIC_KINDS)})"
SHELTER_FIELDS = ("id", "lat", "lon", "status", "evacuees", "foreign", "level", "name", "alt",
                  "kind", "approx")
PUBLIC_FIELDS = ("id", "lat", "lon", "status", "name", "alt")
PUBLIC_MAP_FIELDS = PUBLIC_FIELDS + ("address",)  # the public map's popups show it too
NEED_FIELDS = ("language", "category", "needs", "people", "critical")
LEVEL_NONE, LEVEL_SOME, LEVEL_CRITICAL = 0, 1, 2
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE)


def alternative_name(shelter, tag):
    """The name in the viewer's script where the registry knows it: the kana
    reading (in hiragana) for Easy Japanese; for readers of other languages the
    English name with the romaji, "Kamimizo Junior High School (Kamimizo
    Chugakko)", so that they can match the sign too."""
    if tag == "ja":
        return None
    if tag == "ja-x-easy":
        kana = shelter.get("name_kana")
        return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c
                       for c in kana) if kana else None
    english, romaji = latin_names(shelter, tag)
    if english and romaji:
        return f"{english} ({romaji})"
    return english or romaji


def _places(db, extra_columns="", shown=SHOWN):
    # 4 decimals: about 10 m, plenty for a city map, and a fifth less data
    return db.execute(
        f"SELECT s.id, round(s.lat, 4), round(s.lon, 4), s.status, s.name, s.name_kana, "
        f"s.name_en, s.name_romaji{extra_columns} FROM shelter s WHERE {shown} ORDER BY s.id")


def coordinator_layers(db, tag):
    """Shelters (status, head counts, unmet-need level), their unmet needs by
    language and category, and their foreign evacuees by language.

    Needs and foreign evacuees are flat lists of numbers per shelter, languages
    and categories given by their index in ``languages`` and ``categories``:
    needs [language, category, needs, people, critical needs, ...] in groups of
    five, foreign [language, people, ...] in pairs.
    """
    tags = list(languages())
    categories = list(need_categories())
    language_index = {t: i for i, t in enumerate(tags)}
    category_index = {c: i for i, c in enumerate(categories)}

    def index(table, key, names):
        if key not in table:  # a tag or category the vocabulary no longer has
            table[key] = len(names)
            names.append(key)
        return table[key]

    needs, level = {}, {}
    for shelter_id, language, category, count, people, critical in db.execute(
            f"SELECT shelter_id, language, category, count(*), sum(people), "
            f"sum(urgency = 'critical') FROM need WHERE status IN ({_ACTIVE_SQL}) "
            f"GROUP BY shelter_id, language, category"):
        needs.setdefault(shelter_id, []).extend([
            index(language_index, language, tags), index(category_index, category, categories),
            count, people, critical])
        level[shelter_id] = max(level.get(shelter_id, LEVEL_NONE),
                                LEVEL_CRITICAL if critical else LEVEL_SOME)
    foreign, foreign_total = {}, {}
    for shelter_id, language, people in db.execute(
            "SELECT shelter_id, language, people FROM shelter_language ORDER BY people DESC"):
        foreign.setdefault(shelter_id, []).extend([index(language_index, language, tags), people])
        foreign_total[shelter_id] = foreign_total.get(shelter_id, 0) + people
    rows = []
    for (shelter_id, lat, lon, status, name, kana, english, romaji, evacuees, kind,
         approximate) in _places(db, ", s.evacuees, s.kind, s.location_approximate"):
        rows.append([shelter_id, lat, lon, status, evacuees, foreign_total.get(shelter_id, 0),
                     level.get(shelter_id, LEVEL_NONE), name, alternative_name(
                         {"name_kana": kana, "name_en": english, "name_romaji": romaji}, tag),
                     kind, approximate])
    shown = {row[0] for row in rows}
    return {
        "fields": SHELTER_FIELDS,
        "shelters": rows,
        "languages": tags,
        "categories": categories,
        "need_fields": NEED_FIELDS,
        "needs": {k: v for k, v in needs.items() if k in shown},
        "foreign": {k: v for k, v in foreign.items() if k in shown},
    }


def public_layers(db, tag):
    """What evacuees may see: where the shelters are and whether they are open."""
    rows = [[shelter_id, lat, lon, status, name, alternative_name(
                {"name_kana": kana, "name_en": english, "name_romaji": romaji}, tag), address]
            for shelter_id, lat, lon, status, name, kana, english, romaji, address
            in _places(db, ", s.address", PUBLIC_SHOWN)]
    return {"fields": PUBLIC_MAP_FIELDS, "shelters": rows}


def open_shelters(public):
    """The open shelters of public_layers(), as dicts, for the list beside the public map."""
    rows = [dict(zip(public["fields"], row)) for row in public["shelters"]]
    return [r for r in rows if r["status"] == "open"]


def place_layers(shelters, tag):
    """A few shelters as the public layer, those with coordinates (the places a
    volunteer goes to); ``shelters`` are rows as the registry reads them."""
    rows = [[s["id"], s["lat"], s["lon"], s["status"], s["name"], alternative_name(s, tag)]
            for s in shelters if s["lat"] is not None and s["lon"] is not None]
    return {"fields": PUBLIC_FIELDS, "shelters": rows}


def need_languages(db):
    """Languages with unmet needs: (tag, needs, shelters), most needs first."""
    order = list(languages())
    rows = db.execute(
        f"SELECT n.language, count(*), count(DISTINCT n.shelter_id) FROM need n "
        f"JOIN shelter s ON s.id = n.shelter_id WHERE n.status IN ({_ACTIVE_SQL}) "
        f"AND {SHOWN} GROUP BY n.language").fetchall()
    return sorted(rows, key=lambda r: (-r[1], order.index(r[0]) if r[0] in order else 99))


def volunteer_layer(db, center):
    """Checked-in volunteers grouped by place: [lat, lon, place, [[id, name, [languages]]]].
    ``center`` is the coordination center's (lat, lon), or None if unknown."""
    places = {}
    for volunteer_id, name, place, lat, lon, shelter_name in db.execute(
            "SELECT v.id, v.name, v.checked_in_place, s.lat, s.lon, s.name FROM volunteer v "
            "LEFT JOIN shelter s ON s.id = v.checked_in_place "
            "WHERE v.checked_in_at IS NOT NULL ORDER BY v.name"):
        if place == "center":
            if center is None:
                continue
            lat, lon, shelter_name = center[0], center[1], None
        elif lat is None or lon is None:
            continue
        group = places.setdefault(place, [round(lat, 5), round(lon, 5), shelter_name, []])
        group[3].append([volunteer_id, name, []])
    by_id = {v[0]: v for group in places.values() for v in group[3]}
    if by_id:
        for volunteer_id, language in db.execute(
                f"SELECT volunteer_id, language FROM volunteer_language WHERE volunteer_id IN "
                f"({', '.join('?' * len(by_id))}) ORDER BY language", list(by_id)):
            by_id[volunteer_id][2].append(language)
    return list(places.values())
