"""The after-action report of a drill, from its database alone.

Times are scenario minutes since the start (real minutes × the drill's speed).
Per need: time to the first action (a status change or a volunteer proposed), to
a match (matched, in progress or resolved: someone is on it) and to resolution.
"""

import json
import statistics

from ..db import utcnow
from ..notices.records import get_notice
from ..notices.render import render
from ..spreadsheet import csv_text
from .runs import info, minute_at

ACTIVE = ("open", "matched", "in_progress")
SUMMARY = ("needs", "resolved", "unmet_at_end", "median_first_action", "median_match",
           "median_resolve", "volunteers_checked_in", "volunteers_used", "utilisation",
           "notices_published", "translation_gaps")
BANNER = "DRILL / 訓練"
CSV_FIELDS = ("need", "inject_minute", "shelter", "language", "category", "people", "urgency",
              "recorded_minute", "first_action_after", "matched_after", "resolved_after",
              "status_at_end")


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def _delay(drill, start, moment):
    if moment is None:
        return None
    return round(max(0.0, minute_at(drill, moment) - start), 1)


def build_report(db):
    drill = info(db)
    end_minute = minute_at(drill, drill.get("ended_at") or utcnow())
    injects = list(db.query("SELECT * FROM drill_inject ORDER BY at_minute, id"))
    inject_of_need = {}
    for inject in injects:
        result = json.loads(inject["result"] or "{}")
        if "need" in result:
            inject_of_need[result["need"]] = inject

    events = {}
    for need_id, at, to_status, actor in db.execute(
            "SELECT need_id, at, to_status, actor FROM need_event ORDER BY id"):
        events.setdefault(need_id, []).append((at, to_status, actor))
    proposed = dict(db.execute("SELECT need_id, min(created_at) FROM assignment "
                               "WHERE need_id IS NOT NULL GROUP BY need_id").fetchall())
    rows = []
    for need in db.query("SELECT n.*, s.name AS shelter_name FROM need n "
                         "JOIN shelter s ON s.id = n.shelter_id ORDER BY n.created_at, n.id"):
        recorded = round(minute_at(drill, need["created_at"]), 1)
        later = events.get(need["id"], [])[1:]  # the first event is the recording
        changes = [at for at, _, _ in later]
        first_action = min([a for a in changes + [proposed.get(need["id"])] if a], default=None)
        matched = next((at for at, to, _ in later
                        if to in ("matched", "in_progress", "resolved")), None)
        resolved = next((at for at, to, _ in later if to == "resolved"), None)
        inject = inject_of_need.get(need["id"])
        rows.append({
            "need": need["id"], "inject_minute": inject["at_minute"] if inject else None,
            "shelter": need["shelter_name"], "language": need["language"],
            "category": need["category"], "people": need["people"],
            "urgency": need["urgency"], "recorded_minute": recorded,
            "first_action_after": _delay(drill, recorded, first_action),
            "matched_after": _delay(drill, recorded, matched),
            "resolved_after": _delay(drill, recorded, resolved),
            "status_at_end": need["status"],
        })

    groups = {}
    for row in rows:
        groups.setdefault((row["language"], row["category"]), []).append(row)
    by_language_category = [{
        "language": language, "category": category, "needs": len(group),
        "people": sum(r["people"] for r in group),
        "unmet": sum(r["status_at_end"] in ACTIVE for r in group),
        "median_first_action": _median(r["first_action_after"] for r in group),
        "median_match": _median(r["matched_after"] for r in group),
        "median_resolve": _median(r["resolved_after"] for r in group),
    } for (language, category), group in sorted(groups.items())]

    volunteers = []
    for row in db.query(
            "SELECT v.id, v.name, v.checked_in_at, "
            "(SELECT group_concat(language, ' ') FROM volunteer_language l "
            " WHERE l.volunteer_id = v.id) AS languages, "
            "(SELECT count(*) FROM assignment a WHERE a.volunteer_id = v.id) AS assignments, "
            "(SELECT count(*) FROM assignment a WHERE a.volunteer_id = v.id "
            " AND a.status IN ('confirmed', 'accepted', 'done')) AS taken, "
            "(SELECT count(*) FROM assignment a WHERE a.volunteer_id = v.id "
            " AND a.status = 'done') AS done "
            "FROM volunteer v WHERE v.checked_in_at IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM assignment a WHERE a.volunteer_id = v.id) ORDER BY v.id"):
        volunteers.append({
            "name": row["name"], "languages": (row["languages"] or "").split(),
            "checked_in_minute": round(minute_at(drill, row["checked_in_at"]), 1)
            if row["checked_in_at"] else None,
            "assignments": row["assignments"], "taken": row["taken"], "done": row["done"]})
    checked_in = [v for v in volunteers if v["checked_in_minute"] is not None]
    used = [v for v in checked_in if v["taken"]]

    present = [r[0] for r in db.execute(
        "SELECT DISTINCT l.language FROM shelter_language l JOIN shelter s "
        "ON s.id = l.shelter_id WHERE s.status IN ('open', 'full') ORDER BY l.language")]
    notices, gaps, per_language = [], [], {}
    for notice_id, published_at in db.execute(
            "SELECT id, published_at FROM notice WHERE published_at IS NOT NULL ORDER BY id"):
        notice = get_notice(db, notice_id)
        title = render(notice, notice["source_language"]).title
        notices.append({"notice": notice_id, "title": title,
                        "minute": round(minute_at(drill, published_at), 1)})
        for tag in present:
            if render(notice, tag).needs_translation:
                gaps.append({"notice": notice_id, "title": title, "language": tag})
            else:
                per_language[tag] = per_language.get(tag, 0) + 1

    timeline = [{"minute": i["at_minute"], "kind": i["kind"],
                 "message": json.loads(i["spec"]).get("message", {}),
                 "delivered": bool(i["delivered_at"]),
                 "delivered_minute": round(minute_at(drill, i["delivered_at"]), 1)
                 if i["delivered_at"] else None} for i in injects]
    summary = {
        "needs": len(rows),
        "resolved": sum(r["status_at_end"] == "resolved" for r in rows),
        "unmet_at_end": sum(r["status_at_end"] in ACTIVE for r in rows),
        "median_first_action": _median(r["first_action_after"] for r in rows),
        "median_match": _median(r["matched_after"] for r in rows),
        "median_resolve": _median(r["resolved_after"] for r in rows),
        "volunteers_checked_in": len(checked_in),
        "volunteers_used": len(used),
        "utilisation": round(len(used) / len(checked_in), 2) if checked_in else None,
        "notices_published": len(notices),
        "translation_gaps": len(gaps),
    }
    return {
        "drill": {k: drill.get(k) for k in ("id", "scenario", "title", "mode", "speed",
                                            "started_at", "ended_at", "duration")},
        "minutes": round(end_minute, 1),
        "summary": summary, "needs": rows, "by_language_category": by_language_category,
        "volunteers": volunteers, "notices": notices,
        "notices_by_language": per_language, "languages_present": present,
        "translation_gaps": gaps, "injects": timeline,
        "injects_delivered": sum(i["delivered"] for i in timeline),
    }


def banner_row(drill_id):
    """The first row of every CSV made during a drill: one cell (quoted if the
    scenario's id holds a comma)."""
    return [f"{BANNER} · {drill_id}"]


def report_csv(report):
    """One row per need, for a spreadsheet (UTF-8 with BOM), under a drill banner."""
    rows = (["" if row[f] is None else row[f] for f in CSV_FIELDS] for row in report["needs"])
    return csv_text([banner_row(report["drill"]["id"]), CSV_FIELDS, *rows], bom=True)


def compare(report, earlier):
    """(metric, this drill, the earlier one, change) for the summary figures."""
    rows = []
    for key in SUMMARY:
        now, then = report["summary"].get(key), earlier["summary"].get(key)
        change = round(now - then, 2) if isinstance(now, (int, float)) and isinstance(
            then, (int, float)) else None
        rows.append((key, now, then, change))
    return rows


def timeline_svg_data(report, width=900, row_height=14):
    """Geometry of the timeline chart: injects on top, one bar per need (open,
    someone on it, resolved), notices at the bottom. Drawn by the template as SVG."""
    duration = max(float(report["drill"].get("duration") or 0), report["minutes"], 1.0)
    left, right = 150, 20

    def x(minute):
        return round(left + (width - left - right) * min(max(minute, 0), duration) / duration, 1)

    bars = []
    for n, row in enumerate(report["needs"]):
        start = row["recorded_minute"]
        end = report["minutes"]
        action = start + row["first_action_after"] if row["first_action_after"] is not None \
            else None
        matched = start + row["matched_after"] if row["matched_after"] is not None else None
        resolved = start + row["resolved_after"] if row["resolved_after"] is not None else None
        segments = []
        waiting_until = next((m for m in (action, matched, resolved) if m is not None), end)
        segments.append(("waiting", x(start), x(waiting_until)))
        if action is not None:
            segments.append(("acted", x(action), x(matched if matched is not None else
                                                     (resolved if resolved is not None else end))))
        if matched is not None:
            segments.append(("matched", x(matched), x(resolved if resolved is not None else end)))
        bars.append({"y": 40 + n * row_height, "segments": segments, "row": row,
                     "resolved_x": x(resolved) if resolved is not None else None})
    height = 40 + len(bars) * row_height + 40
    ticks = [(x(m), m) for m in range(0, int(duration) + 1, 30 if duration > 90 else 10)]
    return {
        "width": width, "height": height, "left": left, "row_height": row_height,
        "ticks": ticks,
        "injects": [(x(i["delivered_minute"] if i["delivered_minute"] is not None
                       else i["minute"]), i) for i in report["injects"]],
        "bars": bars,
        "notices": [(x(n["minute"]), n) for n in report["notices"]],
        "notices_y": height - 24,
    }
