"""The Japan Meteorological Agency's disaster XML (気象庁防災情報XML) in.

Read: 震度速報 and 震源・震度に関する情報 (seismology1), 気象警報・注意報 (the
municipal items), 土砂災害警戒情報 and 指定河川洪水予報 (meteorology1). A report
that names none of the city's codes (shelters/city.json "jma") is ignored. Each
relevant report becomes a draft notice from an official template for the
coordinator to check and publish; the next report of the same event (its EventID;
the city's running weather warnings or landslide alert when the agency gives none)
updates the same notice, never a second one. An older report arriving late changes
nothing; 取消 withdraws. Reports marked 訓練 or 試験 are read only in a drill.

Files come from an upload, a folder on the LAN (``disaster-support jma watch``) or
JMA's Atom feeds; a file or feed entry already read is skipped by its digest.
"""

import datetime
import hashlib
import json
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..notices.render import OTHER_NAME
from ..notices.templates import official_terms
from ..shelters.registry import ValidationError
from ..text import _l

JMX = "http://xml.kishou.go.jp/jmaxml1/"
HEAD = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/"
SEISMOLOGY = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/"
METEOROLOGY = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"
ELEMENT_BASIS = "http://xml.kishou.go.jp/jmaxml1/elementBasis1/"
ATOM = "http://www.w3.org/2005/Atom"
MAX_BYTES = 5 * 1024 * 1024  # the largest JMA reports are a few hundred kB
INTENSITY_ORDER = ["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"]
KIND_LABELS = {
    "earthquake": _l("Earthquake"), "warnings": _l("Weather warnings"),
    "landslide": _l("Landslide alert"), "river": _l("River flood forecast"),
}
OUTCOME_LABELS = {
    "created": _l("New draft"), "updated": _l("Draft updated"),
    "unchanged": _l("Already read"), "older": _l("Older than the one read"),
    "cancelled": _l("Cancelled by the agency"), "ignored": _l("Not for this city"),
    "exercise": _l("Exercise or test report (read only during a drill)"),
    "unsupported": _l("A kind of report this tool does not read"),
}


class JmaError(ValidationError):
    pass


@dataclass
class Report:
    """What the tool takes from one JMA XML report."""
    control_title: str
    status: str  # 通常 訓練 試験
    head_title: str
    reported_at: str  # ISO, with offset
    target_at: str | None
    event_id: str
    info_type: str  # 発表 訂正 取消
    serial: str
    kind: str | None  # earthquake warnings landslide river, None: not read
    codes: set = field(default_factory=set)  # every area code the report names
    data: dict = field(default_factory=dict)


def _q(namespace, tag):
    return f"{{{namespace}}}{tag}"


def _text(element, path):
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def parse(data):
    """A Report from the bytes of a JMA XML file; JmaError when it is not one."""
    if len(data) > MAX_BYTES:
        raise JmaError({"file": _l("The file is larger than a JMA report can be.")})
    try:
        root = ET.fromstring(data)  # expat: no external entities, no DTD fetching
    except (ET.ParseError, ValueError, LookupError) as error:
        raise JmaError({"file": _l("Not an XML file: %(error)s", error=str(error))}) from error
    if root.tag != _q(JMX, "Report"):
        raise JmaError({"file": _l("Not a JMA disaster XML report (its first element must "
                                   "be <Report> in %(namespace)s).", namespace=JMX)})
    control, head = root.find(_q(JMX, "Control")), root.find(_q(HEAD, "Head"))
    if control is None or head is None:
        raise JmaError({"file": _l("A JMA report has a Control and a Head; this one has "
                                   "not.")})
    reported = _text(head, _q(HEAD, "ReportDateTime"))
    try:
        datetime.datetime.fromisoformat(reported)
    except ValueError:
        raise JmaError({"file": _l("The report's ReportDateTime is not a date and time.")}) \
            from None
    report = Report(
        control_title=_text(control, _q(JMX, "Title")),
        status=_text(control, _q(JMX, "Status")),
        head_title=_text(head, _q(HEAD, "Title")), reported_at=reported,
        target_at=_text(head, _q(HEAD, "TargetDateTime")) or None,
        event_id=_text(head, _q(HEAD, "EventID")),
        info_type=_text(head, _q(HEAD, "InfoType")), serial=_text(head, _q(HEAD, "Serial")),
        kind=None)
    report.codes = {c.text.strip() for c in root.iter() if c.tag.endswith("}Code")
                    and c.text and c.text.strip()}
    title = report.control_title
    seismology = root.find(_q(SEISMOLOGY, "Body"))
    meteorology = root.find(_q(METEOROLOGY, "Body"))
    if title in ("震度速報", "震源・震度に関する情報") and seismology is not None:
        _read_earthquake(report, seismology)
    elif title.startswith("気象警報・注意報") and meteorology is not None:
        _read_warnings(report, meteorology)
    elif title == "土砂災害警戒情報" and meteorology is not None:
        _read_landslide(report, meteorology)
    elif title == "指定河川洪水予報" and meteorology is not None:
        _read_river(report, meteorology)
    return report


def _read_earthquake(report, body):
    report.kind = "earthquake"
    report.data["origin"] = _text(body, f"{_q(SEISMOLOGY, 'Earthquake')}/"
                                        f"{_q(SEISMOLOGY, 'OriginTime')}") or report.target_at
    areas, cities = {}, {}
    observation = body.find(f"{_q(SEISMOLOGY, 'Intensity')}/{_q(SEISMOLOGY, 'Observation')}")
    for pref in observation.findall(_q(SEISMOLOGY, "Pref")) if observation is not None else ():
        for area in pref.findall(_q(SEISMOLOGY, "Area")):
            areas[_text(area, _q(SEISMOLOGY, "Code"))] = _text(area, _q(SEISMOLOGY, "MaxInt"))
            for city in area.findall(_q(SEISMOLOGY, "City")):
                cities[_text(city, _q(SEISMOLOGY, "Code"))] = _text(city,
                                                                    _q(SEISMOLOGY, "MaxInt"))
    report.data.update(areas=areas, cities=cities)


def _items(body, warning_type):
    for warning in body.findall(_q(METEOROLOGY, "Warning")):
        if warning.get("type") == warning_type:
            yield from warning.findall(_q(METEOROLOGY, "Item"))


def _kinds(item):
    return [{"name": _text(k, _q(METEOROLOGY, "Name")), "code": _text(k, _q(METEOROLOGY, "Code")),
             "status": _text(k, _q(METEOROLOGY, "Status"))}
            for k in item.findall(_q(METEOROLOGY, "Kind"))]


def _item_codes(item):
    return {_text(a, _q(METEOROLOGY, "Code")) for a in item.iter(_q(METEOROLOGY, "Area"))}


def _read_warnings(report, body):
    report.kind = "warnings"
    report.data["items"] = {code: _kinds(item)
                            for item in _items(body, "気象警報・注意報（市町村等）")
                            for code in _item_codes(item)}


def _read_landslide(report, body):
    report.kind = "landslide"
    report.data["items"] = {code: _kinds(item) for item in _items(body, "土砂災害警戒情報")
                            for code in _item_codes(item)}


def _read_river(report, body):
    report.kind = "river"
    rivers = []
    for item in _items(body, "指定河川洪水予報（河川）"):
        kinds = _kinds(item)
        for area in item.iter(_q(METEOROLOGY, "Area")):
            rivers.append({"name": _text(area, _q(METEOROLOGY, "Name")),
                           "code": _text(area, _q(METEOROLOGY, "Code")),
                           "stage": kinds[0] if kinds else {}})
    report.data["rivers"] = rivers


# --- What a report means for the city ----------------------------------------------------

def _lifted(kind):
    return "解除" in kind["status"] or kind["name"] == "解除"


def _in_force(kind):
    return kind["code"] not in ("", "00", "0") and kind["status"] not in ("なし", "") \
        and not _lifted(kind)


def draft_of(report, city):
    """(event key, template id, slots, area kind, area) of the notice the report calls
    for, or None when it has nothing for the city."""
    jma = city.jma
    city_code, ward_codes = jma.get("city"), jma.get("wards", {})
    ward_of_code = {code: ward for ward, code in ward_codes.items()}
    terms = official_terms()
    if report.kind == "earthquake":
        wards = {}
        for code, value in report.data["cities"].items():
            if code in ward_of_code and value in INTENSITY_ORDER:
                wards[ward_of_code[code]] = value
        if not wards:  # 震度速報: by region only
            for code, value in report.data["areas"].items():
                for ward in jma.get("earthquake_areas", {}).get(code, []):
                    if value in INTENSITY_ORDER:
                        wards[ward] = value
        if not wards:
            return None
        origin = datetime.datetime.fromisoformat(report.data["origin"] or report.reported_at)
        origin = origin.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
        ordered = [w.id for w in city.wards if w.id in wards]
        return (f"earthquake:{report.event_id}", "earthquake-intensity",
                {"date": origin.date().isoformat(), "time": origin.strftime("%H:%M"),
                 "intensities": ";".join(f"{w}={wards[w]}" for w in ordered)}, "all", [])
    if report.kind in ("warnings", "landslide"):
        kinds = [k for code in [city_code, *ward_codes.values()]
                 for k in report.data["items"].get(code, [])]
        if not kinds:
            return None
        key = f"{report.kind}:{report.event_id or city_code}"
        if report.kind == "landslide":
            if any(_in_force(k) for k in kinds):
                return key, "landslide-alert", {}, "all", []
            if any(_lifted(k) for k in kinds):
                return key, "landslide-alert-lifted", {}, "all", []
            return None

        def term(kind):
            return kind["code"] if kind["code"] in terms["warnings"] \
                else OTHER_NAME + kind["name"][:60]

        in_force = _unique(term(k) for k in kinds if _in_force(k))
        if in_force:
            return key, "weather-warnings", {"warnings": ";".join(in_force)}, "all", []
        lifted = _unique(term(k) for k in kinds if _lifted(k) and k["code"] not in ("00", ""))
        if lifted:
            return key, "weather-warnings-lifted", {"warnings": ";".join(lifted)}, "all", []
        return None
    if report.kind == "river":
        wards = sorted({ward_of_code[c] for c in report.codes if c in ward_of_code})
        ours = [r for r in report.data["rivers"] if r["name"] in jma.get("rivers", [])]
        if not ours and not wards and city_code not in report.codes:
            return None
        river = (ours or report.data["rivers"] or [{"name": "", "stage": {}}])[0]
        name = river["name"] if river["name"] in terms["rivers"] \
            else OTHER_NAME + (river["name"][:60] or report.head_title[:60])
        key = f"river:{report.event_id or river['code'] or river['name']}"
        area_kind, area = ("wards", wards) if wards else ("all", [])
        stage = river["stage"]
        if _lifted(stage) or stage.get("code") == "10":
            return key, "river-flood-lifted", {"river": name}, area_kind, area
        if stage.get("code") in terms["flood_stages"]:
            return (key, "river-flood", {"river": name, "flood_stage": stage["code"]},
                    area_kind, area)
        return None
    return None


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _later(report, row):
    """Is the report newer than the one the row holds (a correction of the same one
    counts as newer)?"""
    new = datetime.datetime.fromisoformat(report.reported_at)
    old = datetime.datetime.fromisoformat(row["reported_at"])
    if new != old:
        return new > old
    if report.info_type == "訂正":
        return True
    try:
        return int(report.serial or 0) > int(row["serial"] or 0)
    except ValueError:
        return report.serial != row["serial"]


def import_report(db, data, city, *, actor, origin="upload", exercise=False):
    """Read one JMA XML file: (outcome, report row or None). Outcomes: created, updated,
    unchanged (this file was read before), older, cancelled, ignored, exercise,
    unsupported (see OUTCOME_LABELS). One transaction; the same file twice changes
    nothing the second time."""
    digest = hashlib.sha256(data).hexdigest()
    with write_transaction(db):
        seen = db.execute("SELECT report_id FROM official_input WHERE digest = ?",
                          [digest]).fetchone()
        if seen:
            return "unchanged", _row(db, seen[0])
        report = parse(data)
        outcome, row_id = _apply(db, report, city, actor=actor, exercise=exercise)
        if outcome == "exercise":
            return outcome, None  # not remembered: a drill may read it later
        db.execute("INSERT INTO official_input (digest, origin, at, outcome, report_id) "
                   "VALUES (?, ?, ?, ?, ?)", [digest, origin[:300], utcnow(), outcome, row_id])
        return outcome, _row(db, row_id)


def _apply(db, report, city, *, actor, exercise):
    if report.kind is None:
        return "unsupported", None
    if report.status != "通常" and not (exercise and report.status == "訓練"):
        return "exercise", None
    drafted = draft_of(report, city)
    if report.info_type == "取消":
        return _cancel(db, report, city, actor)
    if drafted is None:
        return "ignored", None
    key, template_id, slots, area_kind, area = drafted
    now = utcnow()
    summary = json.dumps({"template_id": template_id, "slots": slots, "area_kind": area_kind,
                          "area": area, "head_title": report.head_title},
                         ensure_ascii=False)
    row = next(iter(db.query("SELECT * FROM official_report WHERE event_key = ?", [key])), None)
    if row is None:
        notice_id = _new_draft(db, template_id, slots, area_kind, area, actor)
        cursor = db.execute(
            "INSERT INTO official_report (source, event_key, kind, title, info_type, serial, "
            "reported_at, received_at, exercise, notice_id, summary) "
            "VALUES ('jma', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [key, report.kind, report.head_title, report.info_type, report.serial,
             report.reported_at, now, int(report.status != "通常"), notice_id, summary])
        record(db, actor, "import_jma", "notice", notice_id, at=now,
               after={"event": key, "title": report.head_title, "template_id": template_id})
        return "created", cursor.lastrowid
    if not _later(report, row):
        return "older", row["id"]
    notice_id = _revise(db, row["notice_id"], template_id, slots, area_kind, area, actor)
    db.execute("UPDATE official_report SET title = ?, info_type = ?, serial = ?, "
               "reported_at = ?, received_at = ?, reports = reports + 1, notice_id = ?, "
               "summary = ? WHERE id = ?",
               [report.head_title, report.info_type, report.serial, report.reported_at, now,
                notice_id, summary, row["id"]])
    record(db, actor, "import_jma", "notice", notice_id, at=now,
           after={"event": key, "title": report.head_title, "template_id": template_id,
                  "update_of": row["notice_id"]})
    return "updated", row["id"]


def _new_draft(db, template_id, slots, area_kind, area, actor):
    notice_id = notices.create_notice(db, template_id=template_id, slots=slots, actor=actor)
    db.execute("UPDATE notice SET area_kind = ?, area = ? WHERE id = ?",
               [area_kind, json.dumps(area), notice_id])
    return notice_id


def _revise(db, notice_id, template_id, slots, area_kind, area, actor):
    """The event's notice, brought up to the newer report: a draft or a published notice
    changes in place (published: a new version, on the boards at once: the agency's
    latest word replaces its earlier one); a withdrawn or expired one is left as it was
    and a new draft begins."""
    notice = notices.get_notice(db, notice_id) if notice_id else None
    if notice is None or notice["state"] in ("withdrawn", "expired"):
        return _new_draft(db, template_id, slots, area_kind, area, actor)
    notices.replace_template(db, notice_id, template_id=template_id, slots=slots,
                             actor=actor)
    if notice["status"] == "draft":
        db.execute("UPDATE notice SET area_kind = ?, area = ? WHERE id = ?",
                   [area_kind, json.dumps(area), notice_id])
    return notice_id


def _cancel(db, report, city, actor):
    """取消: the event's notice is withdrawn (a draft too: nobody should publish it)."""
    keys = [f"{report.kind}:{report.event_id}"] if report.event_id else []
    keys.append(f"{report.kind}:{city.jma.get('city')}")
    row = db.execute(f"SELECT id, notice_id FROM official_report WHERE event_key IN "
                     f"({', '.join('?' * len(keys))})", keys).fetchone()
    if row is None:
        return "ignored", None
    if row[1] is not None:
        notices.withdraw(db, row[1], actor=actor, drafts_too=True)
    db.execute("UPDATE official_report SET info_type = '取消', received_at = ?, "
               "reports = reports + 1 WHERE id = ?", [utcnow(), row[0]])
    return "cancelled", row[0]


def _row(db, row_id):
    if row_id is None:
        return None
    rows = list(db.query("SELECT * FROM official_report WHERE id = ?", [row_id]))
    return dict(rows[0], summary=json.loads(rows[0]["summary"])) if rows else None


def recent_reports(db, limit=30):
    return [dict(r, summary=json.loads(r["summary"])) for r in db.query(
        "SELECT * FROM official_report ORDER BY received_at DESC, id DESC LIMIT ?", [limit])]


# --- Where files come from ----------------------------------------------------------------

def import_folder(db, folder, city, *, actor, exercise=False):
    """Every *.xml of a folder not read before, oldest first: [(file name, outcome)].
    A file that is not a JMA report is reported, not fatal."""
    results = []
    for path in sorted(Path(folder).glob("*.xml"), key=lambda p: (p.stat().st_mtime, p.name)):
        try:
            outcome, _ = import_report(db, path.read_bytes(), city, actor=actor,
                                       origin=f"folder:{path.name}", exercise=exercise)
        except JmaError as error:
            outcome = str(next(iter(error.errors.values())))
        results.append((path.name, outcome))
    return results


def feed_links(data):
    """The report URLs of a JMA Atom feed, oldest first."""
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as error:
        raise JmaError({"feed": _l("Not an XML file: %(error)s", error=str(error))}) from error
    links = []
    for entry in root.findall(_q(ATOM, "entry")):
        link = entry.find(_q(ATOM, "link"))
        if link is not None and link.get("href"):
            links.append(link.get("href"))
    return list(reversed(links))


def _fetch(url, timeout):
    if not url.startswith(("https://", "http://")):
        raise JmaError({"feed": _l("A feed address starts with https:// or http://.")})
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (checked)
        return response.read(MAX_BYTES + 1)


def pull_feed(db, url, city, *, actor, exercise=False, timeout=20):
    """The reports of a feed not read before: [(url, outcome)]. A report already read
    is not even downloaded again (its URL is remembered)."""
    results = []
    for link in feed_links(_fetch(url, timeout)):
        marker = "url:" + hashlib.sha256(link.encode()).hexdigest()
        if db.execute("SELECT 1 FROM official_input WHERE digest = ?", [marker]).fetchone():
            continue
        try:
            outcome, row = import_report(db, _fetch(link, timeout), city, actor=actor,
                                         origin=f"feed:{link}", exercise=exercise)
        except JmaError as error:
            outcome, row = str(next(iter(error.errors.values()))), None
        with write_transaction(db):
            db.execute("INSERT OR IGNORE INTO official_input (digest, origin, at, outcome, "
                       "report_id) VALUES (?, ?, ?, ?, ?)",
                       [marker, f"feed:{link}"[:300], utcnow(), outcome,
                        row["id"] if row else None])
        results.append((link, outcome))
    return results
