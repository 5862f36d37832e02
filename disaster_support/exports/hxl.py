"""CSV tables with an HXL hashtag row (Humanitarian Exchange Language), so that
partners' tools read them without a mapping: shelters, unmet needs (aggregated:
counts only, never a note or a time of one person's need), and volunteer coverage by
language (counts only, no names or contacts).

Languages travel as the extension hashtag #x_language (a BCP 47 tag) or, for a
column per language, as an attribute (+lang_zh_hans).
"""

from dataclasses import dataclass
from datetime import timedelta

from babel import Locale

from ..needs.records import ACTIVE
from ..needs.situation import STALE_MINUTES
from ..spreadsheet import csv_text
from ..vocabulary import languages, need_categories

TABLES = ("shelters", "places", "needs", "volunteer-coverage")
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE)


@dataclass
class Table:
    name: str
    columns: list  # (header, hashtag)
    rows: list


def language_attribute(tag):
    """An HXL attribute for a language: lowercase letters, digits and underscores."""
    return "lang_" + tag.lower().replace("-", "_")


def shelters(db, city, official=True):
    """The city's official list (``official``), or the places the center added: apart,
    so that a partner never mistakes a dormitory for a designated shelter. Contacts
    are never exported; a place known only by its district has no coordinates here."""
    used = {r[0] for r in db.execute(
        "SELECT DISTINCT language FROM shelter_language WHERE shelter_id IN "
        "(SELECT id FROM shelter WHERE official = ?)", [int(official)])}
    present = [t for t in languages() if t in used]
    columns = [("Shelter ID" if official else "Place ID", "#loc+code"), ("Name", "#loc+name"),
               ("Name (English)", "#loc+name+i_en"), ("Ward", "#adm2+name")]
    if not official:
        columns.append(("District", "#adm3+name"))
    columns += [("Latitude", "#geo+lat"), ("Longitude", "#geo+lon"), ("Type", "#loc+type"),
                ("Status", "#status"), ("Capacity", "#capacity+num"),
                ("Evacuees", "#affected+num"), ("Foreign evacuees", "#affected+num+foreign")]
    columns += [(f"Foreign evacuees: {tag}", f"#affected+num+foreign+{language_attribute(tag)}")
                for tag in present]
    columns.append(("Updated", "#date+updated"))
    counts = {}
    for shelter_id, tag, people in db.execute(
            "SELECT shelter_id, language, people FROM shelter_language"):
        counts.setdefault(shelter_id, {})[tag] = people
    rows = []
    for s in db.query("SELECT id, name, name_en, ward, district, lat, lon, location_approximate, "
                      "kind, status, capacity, evacuees, updated_at FROM shelter "
                      "WHERE official = ? ORDER BY id", [int(official)]):
        mine = counts.get(s["id"], {})
        ward = city.ward(s["ward"]) if s["ward"] else None
        located = s["lat"] is not None and not s["location_approximate"]
        row = [s["id"], s["name"], s["name_en"] or "", ward.name("en") if ward else ""]
        if not official:
            row.append(s["district"] or "")
        rows.append(row + [s["lat"] if located else "", s["lon"] if located else "",
                           s["kind"], s["status"],
                           s["capacity"] if s["capacity"] is not None else "", s["evacuees"],
                           sum(mine.values())] + [mine.get(tag, 0) for tag in present]
                    + [s["updated_at"][:10]])
    return Table("shelters" if official else "places", columns, rows)


def needs(db, city, now):
    """Unresolved needs per shelter, language and need: how many, for how many people."""
    cutoff = (now - timedelta(minutes=STALE_MINUTES)).replace(microsecond=0).isoformat()
    categories = need_categories()
    columns = [("Shelter ID", "#loc+code"), ("Shelter", "#loc+name"), ("Ward", "#adm2+name"),
               ("Latitude", "#geo+lat"), ("Longitude", "#geo+lon"),
               ("Language", "#x_language"), ("Sector", "#sector+code"),
               ("Need", "#x_need+code"), ("Need (English)", "#x_need+name"),
               ("Needs", "#indicator+needs+num"), ("People", "#inneed+num"),
               ("Critical", "#indicator+critical+num"),
               (f"Waiting over {STALE_MINUTES} min", "#indicator+waiting+num")]
    rows = []
    for row in db.execute(
            f"SELECT n.shelter_id, s.name, s.ward, s.lat, s.lon, n.language, n.category, "
            f"count(*), sum(n.people), sum(n.urgency = 'critical'), sum(n.created_at <= ?) "
            f"FROM need n JOIN shelter s ON s.id = n.shelter_id "
            f"WHERE n.status IN ({_ACTIVE_SQL}) "
            f"GROUP BY n.shelter_id, n.language, n.category ORDER BY n.shelter_id, n.language, "
            f"n.category", [cutoff]):
        shelter_id, name, ward, lat, lon, tag, category, count, people, critical, stale = row
        ward_ = city.ward(ward) if ward else None
        category_ = categories.get(category, {})
        rows.append([shelter_id, name, ward_.name("en") if ward_ else "",
                     lat if lat is not None else "", lon if lon is not None else "", tag,
                     category_.get("sector", ""), category,
                     category_.get("labels", {}).get("en", category), count, people, critical,
                     stale])
    return Table("needs", columns, rows)


def volunteer_coverage(db):
    """Per language: foreign evacuees, unmet needs, and the volunteers who speak it."""
    columns = [("Language", "#x_language"), ("Language (English)", "#x_language+name"),
               ("Foreign evacuees", "#affected+num+foreign"),
               ("People with unmet needs", "#inneed+num"),
               ("Unmet needs", "#indicator+needs+num"),
               ("Volunteers", "#capacity+num+volunteers"),
               ("Native or fluent", "#capacity+num+volunteers+fluent"),
               ("Conversational", "#capacity+num+volunteers+conversational"),
               ("Checked in now", "#capacity+num+volunteers+checked_in")]
    evacuees = dict(db.execute("SELECT l.language, sum(l.people) FROM shelter_language l "
                               "JOIN shelter s ON s.id = l.shelter_id "
                               "WHERE s.status != 'closed' GROUP BY l.language").fetchall())
    unmet = {t: (n, p) for t, n, p in db.execute(
        f"SELECT language, count(*), sum(people) FROM need WHERE status IN ({_ACTIVE_SQL}) "
        f"GROUP BY language")}
    speakers = {}
    for tag, level, checked_in in db.execute(
            "SELECT l.language, l.level, v.checked_in_at IS NOT NULL FROM volunteer_language l "
            "JOIN volunteer v ON v.id = l.volunteer_id"):
        counts = speakers.setdefault(tag, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += level in ("native", "fluent")
        counts[2] += level == "conversational"
        counts[3] += checked_in
    known = languages()
    tags = [t for t in known if t in evacuees or t in unmet or t in speakers]
    rows = []
    for tag in tags:
        name = "Easy Japanese" if tag == "ja-x-easy" else Locale.parse(
            known[tag]["locale"]).get_display_name("en")
        n, p = unmet.get(tag, (0, 0))
        rows.append([tag, name, evacuees.get(tag, 0), p, n, *speakers.get(tag, [0, 0, 0, 0])])
    return Table("volunteer-coverage", columns, rows)


def to_csv(table, *, excel=False):
    """Header row, hashtag row, data; text that a spreadsheet would run as a formula
    is neutralised in both variants (people open the plain one in a spreadsheet too).
    ``excel``: UTF-8 with a byte-order mark, which spreadsheet programs need to read
    Japanese correctly."""
    return csv_text([[header for header, _ in table.columns],
                     [tag for _, tag in table.columns], *table.rows], bom=excel)
