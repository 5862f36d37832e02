"""Notices as CAP 1.2 alerts (OASIS Common Alerting Protocol), and back.

Export: one <info> per language the notice reads in, with the CAP category,
urgency and severity of its template (or of its need category), the area as the
wards' boundary polygons or circles around the shelters. Import: a CAP alert (from
the prefecture, say) becomes a draft notice in every language it carries that the
tool knows. An Atom feed lists the current alerts.
"""

import datetime
import xml.etree.ElementTree as ET

from ..audit.log import record
from ..db import write_transaction
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import category_label, languages
from . import records
from .render import render
from .templates import templates

NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
# A need category's CAP category, for free-text notices (templates name their own).
CAP_CATEGORY = {"medical": "Health", "medicine": "Health", "mental_health": "Health",
                "water": "Infra", "transport": "Transport", "housing": "Shelter",
                "hygiene": "Health", "food": "Other"}
# Need categories for imported alerts, by CAP category.
NEED_CATEGORY = {"Health": "medical", "Shelter": "housing", "Transport": "transport",
                 "Infra": "information"}
# CAP language tags seen in the wild, to the tool's tags.
LANGUAGE_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
                    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
                    "fil": "tl", "pt-br": "pt", "pt-pt": "pt"}
CIRCLE_KM = 0.5  # around a shelter, when a notice is for some shelters


class CapError(ValidationError):
    pass


def _q(tag):
    return f"{{{NS}}}{tag}"


def cap_time(value):
    """CAP wants an explicit offset and no fractions: 2026-11-26T14:30:00+09:00."""
    moment = datetime.datetime.fromisoformat(value).astimezone(
        datetime.timezone(datetime.timedelta(hours=9)))
    return moment.replace(microsecond=0).isoformat()


def identifier(city, notice_id, version):
    return f"jp.lg.{city.code}.disaster-support.notice.{notice_id}.{version}"


def _add(parent, tag, text=None):
    element = ET.SubElement(parent, _q(tag))
    if text is not None:
        element.text = str(text)
    return element


def _polygon(ring):
    points = [(round(lat, 5), round(lon, 5)) for lon, lat in ring]
    if points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{lat},{lon}" for lat, lon in points)


def _areas(db, notice, city, tag):
    """(description, polygons, circles) of the notice's area, in ``tag``."""
    if notice["area_kind"] == "shelters":
        rows = db.execute(
            f"SELECT name, lat, lon FROM shelter WHERE id IN "
            f"({', '.join('?' * len(notice['area']))}) ORDER BY id", notice["area"]).fetchall()
        return [(name, [], [f"{lat},{lon} {CIRCLE_KM}"] if lat is not None else [])
                for name, lat, lon in rows]
    wanted = set(notice["area"]) if notice["area_kind"] == "wards" else None
    areas = []
    for feature in city.boundary_features():
        ward = feature["properties"]["ward"]
        if wanted is not None and ward not in wanted:
            continue
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" \
            else geometry["coordinates"]
        # CAP polygons have no holes: the outer ring of each part
        areas.append((city.ward(ward).name(tag) if ward else city.name(tag),
                      [_polygon(p[0]) for p in polygons], []))
    return areas or [(city.name(tag), [], [])]


def notice_to_cap(db, notice, *, city, board_url, exercise=False, sender=None):
    """The CAP 1.2 XML (bytes) of a notice."""
    template = templates().get(notice["template_id"] or "")
    cap = template.cap if template else {"category": CAP_CATEGORY.get(
        notice["category"], "Other"), "urgency": "Expected", "severity": "Minor"}
    sender = sender or f"disaster-support@{city.code}.lg.jp"
    names = records.names_for(db, [notice])
    sent = notice["published_at"] or notice["updated_at"]
    alert = ET.Element(_q("alert"))
    _add(alert, "identifier", identifier(city, notice["id"], notice["version"]))
    _add(alert, "sender", sender)
    _add(alert, "sent", cap_time(sent))
    _add(alert, "status", "Exercise" if exercise else "Actual")
    withdrawn = notice["status"] == "withdrawn"
    _add(alert, "msgType", "Cancel" if withdrawn else "Update" if notice["version"] > 1
         else "Alert")
    _add(alert, "scope", "Public")
    if withdrawn or notice["version"] > 1:
        earlier = notice["version"] if withdrawn else notice["version"] - 1
        _add(alert, "references",
             f"{sender},{identifier(city, notice['id'], earlier)},{cap_time(sent)}")
    for tag in languages():
        text = render(notice, tag, names)
        if text.needs_translation:
            continue  # a language it does not read in yet is left out, not faked
        info = _add(alert, "info")
        _add(info, "language", tag)
        _add(info, "category", cap["category"])
        _add(info, "event", category_label(notice["category"], tag))
        _add(info, "urgency", "Past" if withdrawn else cap["urgency"])
        _add(info, "severity", cap["severity"])
        _add(info, "certainty", "Observed")
        if notice["valid_from"]:
            _add(info, "effective", cap_time(notice["valid_from"]))
        if notice["valid_until"]:
            _add(info, "expires", cap_time(notice["valid_until"]))
        _add(info, "senderName", city.name(tag))
        _add(info, "headline", text.title)
        _add(info, "description", text.body)
        _add(info, "web", f"{board_url}?lang={tag}")
        for description, polygons, circles in _areas(db, notice, city, tag):
            area = _add(info, "area")
            _add(area, "areaDesc", description)
            for polygon in polygons:
                _add(area, "polygon", polygon)
            for circle in circles:
                _add(area, "circle", circle)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=NS)


def atom_feed(db, *, city, base_url, cap_url):
    """An Atom feed of the notices on the boards now, each linking its CAP alert."""
    # Plain names under a default xmlns: Atom's attributes are not namespaced.
    feed = ET.Element("feed", xmlns=ATOM)

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, tag, attributes)
        if text is not None:
            element.text = text
        return element

    current = records.list_notices(db, states=("published",))
    add(feed, "id", f"{base_url}/cap/alerts.atom")
    add(feed, "title", f"{city.name('ja')} · {city.name('en')}: CAP")
    add(feed, "updated", cap_time(max((n["published_at"] for n in current),
                                      default="2000-01-01T00:00:00+00:00")))
    add(add(feed, "author"), "name", city.name("ja"))
    add(feed, "link", rel="self", href=f"{base_url}/cap/alerts.atom")
    for notice in current:
        entry = add(feed, "entry")
        add(entry, "id", f"{cap_url(notice['id'])}#{notice['version']}")
        add(entry, "title", render(notice, notice["source_language"]).title)
        add(entry, "updated", cap_time(notice["published_at"]))
        add(entry, "link", rel="alternate", type="application/cap+xml",
            href=cap_url(notice["id"]))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def language_tag(value):
    """The tool's tag for a CAP <language>, or None."""
    known = {t.lower(): t for t in languages()}
    value = (value or "").strip().replace("_", "-")
    lower = value.lower()
    if lower in known:
        return known[lower]
    if lower in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[lower]
    primary = lower.split("-")[0]
    if primary == "zh":
        return "zh-Hant" if any(p in lower for p in ("hant", "tw", "hk")) else "zh-Hans"
    return LANGUAGE_ALIASES.get(primary) or known.get(primary)


def parse_cap(data):
    """{"identifier", "sender", "category", "texts": {tag: (title, body)},
    "skipped": [languages the tool does not have]} from CAP 1.2 XML."""
    try:
        root = ET.fromstring(data)  # expat: no external entities, no DTD fetching
    except (ET.ParseError, ValueError, LookupError) as error:
        # ValueError: a declared multi-byte encoding such as Shift_JIS (expat reads
        # UTF-8 and UTF-16 only); LookupError: an encoding Python does not know
        raise CapError({"file": _l("Not an XML file: %(error)s", error=str(error))}) from error
    if root.tag != _q("alert"):
        raise CapError({"file": _l("Not a CAP 1.2 alert (its first element must be "
                                   "<alert> in %(namespace)s).", namespace=NS)})
    texts, skipped, category = {}, [], None
    for info in root.findall(_q("info")):
        raw = info.findtext(_q("language")) or "en-US"  # CAP's default
        tag = language_tag(raw)
        category = category or info.findtext(_q("category"))
        title = (info.findtext(_q("headline")) or info.findtext(_q("event")) or "").strip()
        body = "\n".join(t.strip() for t in (info.findtext(_q("description")),
                                             info.findtext(_q("instruction"))) if t)
        if tag is None:
            skipped.append(raw)
        elif tag not in texts and title and body:
            texts[tag] = (title, body)
    if not texts:
        raise CapError({"file": _l("The alert has no headline and description in a language "
                                   "this tool knows.")})
    return {"identifier": root.findtext(_q("identifier")),
            "sender": root.findtext(_q("sender")), "category": category,
            "texts": texts, "skipped": skipped}


def import_cap(db, data, *, actor):
    """A CAP alert as a draft notice with all its languages; (notice id, skipped)."""
    alert = parse_cap(data)
    tags = list(alert["texts"])
    source = "ja" if "ja" in tags else tags[0]
    with write_transaction(db):
        title, body = alert["texts"][source]
        notice_id = records.create_notice(
            db, title=title, body=body, source_language=source, actor=actor,
            category=NEED_CATEGORY.get(alert["category"], "information"))
        for tag in tags:
            if tag != source:
                title, body = alert["texts"][tag]
                records.add_translation(db, notice_id, tag, title=title, body=body,
                                        actor=actor)
        record(db, actor, "import_cap", "notice", notice_id,
               after={"identifier": alert["identifier"], "sender": alert["sender"],
                      "languages": tags, "skipped": alert["skipped"]})
    return notice_id, alert["skipped"]
