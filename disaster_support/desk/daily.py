"""The daily report for the city's disaster headquarters and the prefecture: one day in
Japan time, from the data alone, the same figures every day so that days compare.

Needs are counted from their history (need_event): opened that day, resolved that day,
and still open at the end of the day; the times are from a need's recording to its
first change of status (someone acted) and to its resolution, for the needs opened
that day (medians, in minutes). Head counts have no history: they are as of the moment
the report is made, said so on the page. Consultations by topic and language, notices
published that day with the languages they can be read in, and the languages nobody
checked in can serve now.

``rows`` flattens it into one long table (date, indicator, language, category, ward,
group, value) for CSV and HXL, so a partner's spreadsheet adds days below each other.
"""

import datetime
import statistics

from ..db import NOW, TOKYO
from ..needs.records import ACTIVE
from ..notices import records as notices
from ..notices.render import render
from ..shelters.registry import KIND_GROUPS
from ..vocabulary import languages
from ..volunteers import assignments, matching

HXL_COLUMNS = [("Date", "#date"), ("Indicator", "#indicator+name"),
               ("Language", "#x_language"), ("Category", "#x_category"),
               ("Ward", "#adm2+code"), ("Where", "#loc+type"), ("Value", "#indicator+value+num")]
_GROUP_OF = {kind: group for group, kinds in KIND_GROUPS.items() for kind in kinds}
FINISHED = ("resolved", "cancelled")


def window(day):
    """[start, end) of a day in Japan time, as stored UTC ISO strings."""
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=TOKYO)
    end = start + datetime.timedelta(days=1)
    utc = datetime.timezone.utc
    return start.astimezone(utc).isoformat(), end.astimezone(utc).isoformat()


def today():
    return NOW().astimezone(TOKYO).date()


def _median_minutes(pairs):
    minutes = [(datetime.datetime.fromisoformat(b) - datetime.datetime.fromisoformat(a))
               .total_seconds() / 60 for a, b in pairs if a and b]
    return round(statistics.median(minutes)) if minutes else None


def daily_report(db, day):
    start, end = window(day)
    evacuees = {}
    for tag, ward, kind, people in db.execute(
            "SELECT l.language, s.ward, s.kind, sum(l.people) FROM shelter_language l "
            "JOIN shelter s ON s.id = l.shelter_id WHERE s.status != 'closed' "
            "GROUP BY l.language, s.ward, s.kind"):
        key = (tag, ward or "", _GROUP_OF.get(kind, "other"))
        evacuees[key] = evacuees.get(key, 0) + people
    opened, resolved, still_open = {}, {}, {}
    first_action, resolution = [], []
    events = {}
    for need_id, to_status, at in db.execute(
            "SELECT need_id, to_status, at FROM need_event WHERE at < ? ORDER BY need_id, at, "
            "id", [end]):
        events.setdefault(need_id, []).append((to_status, at))
    for need_id, category, tag, created in db.execute(
            "SELECT id, category, language, created_at FROM need WHERE created_at < ?", [end]):
        history = events.get(need_id, [])
        statuses = [s for s, _ in history]
        if "reported" in statuses[:1] and "open" not in statuses:
            continue  # an evacuee's report never confirmed: not a need (yet)
        key = (category, tag)
        if start <= created < end:
            opened[key] = opened.get(key, 0) + 1
            acted = next((at for s, at in history[1:] if s != "open"), None)
            first_action.append((created, acted))
            done = next((at for s, at in history if s == "resolved"), None)
            resolution.append((created, done))
        for status, at in history:
            if status == "resolved" and start <= at < end:
                resolved[key] = resolved.get(key, 0) + 1
        last = history[-1][0] if history else "open"
        if last in ACTIVE:
            still_open[key] = still_open.get(key, 0) + 1
    consultations = {(t, l): n for t, l, n in db.execute(
        "SELECT topic, language, count(*) FROM consultation WHERE at >= ? AND at < ? "
        "GROUP BY topic, language", [start, end])}
    published = []
    for notice in notices.list_notices(db):
        if notice["published_at"] and start <= notice["published_at"] < end:
            notice = notices.get_notice(db, notice["id"])
            readable = [t for t in languages() if render(notice, t).status != "missing"]
            published.append({"id": notice["id"], "what": notice["title"] or
                              notice["template_id"], "languages": readable})
    need_list, volunteers = assignments.engine_input(db)
    unserved = matching.group_unserved(need_list, matching.unreachable(need_list, volunteers))
    return {"day": day.isoformat(), "start": start, "end": end,
            "made_at": NOW().replace(microsecond=0).isoformat(),
            "evacuees": evacuees, "opened": opened, "resolved": resolved, "open": still_open,
            "median_first_action": _median_minutes(first_action),
            "median_resolution": _median_minutes(resolution),
            "consultations": consultations, "notices": published, "unserved": unserved}


def rows(report):
    """The report as one long table (see HXL_COLUMNS)."""
    day = report["day"]
    out = [[day, "foreign_evacuees", tag, "", ward, group, people]
           for (tag, ward, group), people in sorted(report["evacuees"].items())]
    for indicator in ("opened", "resolved", "open"):
        out += [[day, f"needs_{indicator}", tag, category, "", "", count]
                for (category, tag), count in sorted(report[indicator].items())]
    for indicator in ("median_first_action", "median_resolution"):
        if report[indicator] is not None:
            out.append([day, f"{indicator}_minutes", "", "", "", "", report[indicator]])
    out += [[day, "consultations", tag, topic, "", "", count]
            for (topic, tag), count in sorted(report["consultations"].items())]
    for notice in report["notices"]:
        out += [[day, "notice_published", tag, notice["what"] or "", "", "", 1]
                for tag in notice["languages"]]
    out += [[day, "needs_unserved", group["language"], group["reason"], "", "",
             group["needs"]] for group in report["unserved"]]
    return out
