"""What the city's disaster headquarters announces, as notices in every language.

高齢者等避難 (alert level 3), 避難指示 (4) and 緊急安全確保 (5) for some wards,
districts or places, for a hazard, naming the shelters opened: one form, and at once
a notice from a reviewed template, published on exactly those places' boards (its
CAP alert follows from the notice). A newer order for the same hazard covering an
earlier one's places replaces it (the earlier notice is withdrawn); 解除 withdraws
the order's notice and publishes, for a day, that it was lifted.

Areas are written as in the notice's ``areas`` slot: ``ward:<id>``,
``district:<ward id>/<name>`` (a 町丁目 as the registry writes it), ``shelter:<id>``.
"""

import datetime
import json
import re

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..needs.records import CLIENT_ID
from ..notices import records as notices
from ..notices.templates import official_terms
from ..shelters.registry import ValidationError, update_shelter
from ..text import _l

# level -> (template, national alert level)
LEVELS = {"elderly": ("evacuation-elderly", 3), "order": ("evacuation-order", 4),
          "emergency": ("emergency-safety", 5)}
LEVEL_LABELS = {
    "elderly": _l("Level 3 — 高齢者等避難: older people and others who need time evacuate"),
    "order": _l("Level 4 — 避難指示: everyone in the area evacuates"),
    "emergency": _l("Level 5 — 緊急安全確保: a disaster is happening, secure safety now"),
}
LIFTED_TEMPLATE = "evacuation-lifted"
LIFTED_SHOWN_FOR = datetime.timedelta(hours=24)
FIELDS = {
    "level": _l("Level"), "hazard": _l("Hazard"), "areas": _l("Areas"),
    "places": _l("Shelters opened"), "note": _l("Note"), "client_id": _l("Submission ID"),
}
# the district of a registry address: what follows the ward, up to the block number
_DISTRICT = re.compile(r"^([^\d０-９\-－ー‐丁番号,，、\s]+)")


class OrderNotFound(LookupError):
    pass


def district_of(row, ward_names_ja):
    """A place's district (町丁目 without the number): its own, else from its address."""
    if row["district"]:
        return row["district"]
    address = row["address"] or ""
    ward_name = ward_names_ja.get(row["ward"])
    if not ward_name or ward_name not in address:
        return None
    match = _DISTRICT.match(address.split(ward_name, 1)[1])
    return match.group(1) if match else None


def area_choices(db, city):
    """What the form offers: {ward id: {"name", "districts": [name…]}}, in the city's
    order, districts sorted by their reading order (Unicode, as the registry has them)."""
    ward_ja = {w.id: w.name("ja") for w in city.wards}
    found = {w.id: set() for w in city.wards}
    for row in db.query("SELECT ward, district, address FROM shelter WHERE ward IS NOT NULL"):
        district = district_of(row, ward_ja)
        if district and row["ward"] in found:
            found[row["ward"]].add(district)
    return {w.id: {"ward": w, "districts": sorted(found[w.id])} for w in city.wards}


def _places_in(db, city, areas):
    """The registry IDs whose boards an order for ``areas`` reaches."""
    ward_ja = {w.id: w.name("ja") for w in city.wards}
    wards = {a[len("ward:"):] for a in areas if a.startswith("ward:")}
    districts = {tuple(a[len("district:"):].split("/", 1)) for a in areas
                 if a.startswith("district:")}
    ids = {a[len("shelter:"):] for a in areas if a.startswith("shelter:")}
    for row in db.query("SELECT id, ward, district, address FROM shelter"):
        if row["ward"] in wards or (row["ward"], district_of(row, ward_ja)) in districts:
            ids.add(row["id"])
    return ids


def board_area(db, city, areas):
    """(area kind, area) of the notice: whole wards as wards, else the places."""
    if all(a.startswith("ward:") for a in areas):
        return "wards", sorted(a[len("ward:"):] for a in areas)
    return "shelters", sorted(_places_in(db, city, areas))


def parse_order(db, values):
    """Check the form (strings); raise ValidationError naming each field."""
    errors, clean = {}, {}
    client_id = values.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        errors["client_id"] = _l("%(field)s: 8 to 64 letters, digits, '-' or '_'.",
                                 field=FIELDS["client_id"])
    clean["client_id"] = client_id
    level = values.get("level")
    if level not in LEVELS:
        errors["level"] = _l("%(field)s: choose one of the list.", field=FIELDS["level"])
    clean["level"] = level
    hazard = values.get("hazard")
    if hazard not in official_terms()["hazards"]:
        errors["hazard"] = _l("%(field)s: choose one of the list.", field=FIELDS["hazard"])
    clean["hazard"] = hazard
    for field in ("areas", "places"):
        raw = values.get(field) or []
        raw = [raw] if isinstance(raw, str) else raw
        clean[field] = sorted({v for v in raw if isinstance(v, str) and v})
    if not clean["areas"]:
        errors["areas"] = _l("%(field)s: choose at least one ward, district or place.",
                             field=FIELDS["areas"])
    note = values.get("note") or ""
    note = note.strip() if isinstance(note, str) else None
    if note is None or len(note) > notices.MAX_NOTE:
        errors["note"] = _l("%(field)s: at most %(max)s characters.", field=FIELDS["note"],
                            max=notices.MAX_NOTE)
    clean["note"] = note
    if errors:
        raise ValidationError(errors)
    return clean


def _slots(clean, with_places=True):
    slots = {"areas": ";".join(clean["areas"]), "note": clean["note"]}
    if "hazard" in clean:
        slots["hazard"] = clean["hazard"]
    if with_places:
        slots["places"] = ";".join(clean["places"])
    return slots


def issue(db, values, city, *, actor):
    """Announce an order: a notice in every language on the area's boards, now.
    Exactly once per form (client_id). Returns (order, created)."""
    clean = parse_order(db, values)
    template_id = LEVELS[clean["level"]][0]
    with write_transaction(db):
        row = db.execute("SELECT id FROM evacuation_order WHERE client_id = ?",
                         [clean["client_id"]]).fetchone()
        if row:
            return get_order(db, row[0]), False
        slots = _slots(clean, with_places=clean["level"] != "emergency")
        try:
            notice_id = notices.create_notice(db, template_id=template_id, slots=slots,
                                              actor=actor)
        except ValidationError as exc:  # a place that went away since the form was drawn
            raise ValidationError({field.removeprefix("slot_"): message
                                   for field, message in exc.errors.items()}) from None
        area_kind, area = board_area(db, city, clean["areas"])
        if not area:
            raise ValidationError({"areas": _l(
                "%(field)s: no place of the registry lies there, so no board would show "
                "it. Choose wards or places.", field=FIELDS["areas"])})
        notices.publish(db, notice_id, actor=actor, area_kind=area_kind, area=area)
        for place in clean["places"]:
            place_id = place[len("shelter:"):]
            status = db.execute("SELECT status FROM shelter WHERE id = ?",
                                [place_id]).fetchone()
            if status and status[0] not in ("open", "full"):
                update_shelter(db, place_id, {"status": "open"}, actor=actor)
        now = utcnow()
        cursor = db.execute(
            "INSERT INTO evacuation_order (client_id, level, hazard, areas, places, notice_id, "
            "issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [clean["client_id"], clean["level"], clean["hazard"], json.dumps(clean["areas"]),
             json.dumps(clean["places"]), notice_id, now, actor.name])
        order_id = cursor.lastrowid
        covered = _places_in(db, city, clean["areas"])
        for earlier in current_orders(db):
            if earlier["id"] != order_id and earlier["hazard"] == clean["hazard"] \
                    and _places_in(db, city, earlier["areas"]) <= covered:
                _end(db, earlier, actor, now, how="superseded", by=order_id)
        record(db, actor, "issue", "evacuation_order", order_id, at=now,
               after={k: clean[k] for k in ("level", "hazard", "areas", "places")}
               | {"notice_id": notice_id})
        return get_order(db, order_id), True


def _end(db, order, actor, now, *, how, by=None, lifted_notice_id=None):
    if db.execute("SELECT status FROM notice WHERE id = ?",
                  [order["notice_id"]]).fetchone()[0] == "published":
        notices.withdraw(db, order["notice_id"], actor=actor)
    db.execute("UPDATE evacuation_order SET ended_at = ?, ended_by = ?, ended_how = ?, "
               "superseded_by = ?, lifted_notice_id = ? WHERE id = ?",
               [now, actor.name, how, by, lifted_notice_id, order["id"]])
    record(db, actor, how, "evacuation_order", order["id"], at=now,
           after={"superseded_by": by, "lifted_notice_id": lifted_notice_id})


def lift(db, order_id, city, *, actor, note=""):
    """解除: withdraw the order's notice; tell the same boards, for a day, that it was
    lifted. Lifting an order already ended changes nothing (a second click)."""
    note = (note or "").strip()
    if len(note) > notices.MAX_NOTE:
        raise ValidationError({"note": _l("%(field)s: at most %(max)s characters.",
                                          field=FIELDS["note"], max=notices.MAX_NOTE)})
    with write_transaction(db):
        order = get_order(db, order_id)
        if order["ended_at"]:
            return order, False
        now = utcnow()
        lifted_id = notices.create_notice(
            db, template_id=LIFTED_TEMPLATE,
            slots={"areas": ";".join(order["areas"]), "note": note}, actor=actor)
        notice = notices.get_notice(db, order["notice_id"])
        until = (datetime.datetime.fromisoformat(now) + LIFTED_SHOWN_FOR).isoformat()
        notices.publish(db, lifted_id, actor=actor, area_kind=notice["area_kind"],
                        area=notice["area"], valid_until=until)
        _end(db, order, actor, now, how="lifted", lifted_notice_id=lifted_id)
        return get_order(db, order_id), True


def _decode(row):
    order = dict(row)
    order["areas"] = json.loads(order["areas"])
    order["places"] = json.loads(order["places"])
    order["alert_level"] = LEVELS[order["level"]][1]
    return order


def get_order(db, order_id):
    rows = list(db.query("SELECT * FROM evacuation_order WHERE id = ?", [order_id]))
    if not rows:
        raise OrderNotFound(order_id)
    return _decode(rows[0])


def current_orders(db):
    """Orders in force, the highest level first, then the newest."""
    orders = [_decode(r) for r in db.query(
        "SELECT * FROM evacuation_order WHERE ended_at IS NULL ORDER BY issued_at DESC")]
    return sorted(orders, key=lambda o: -o["alert_level"])


def recent_orders(db, limit=20):
    return [_decode(r) for r in db.query(
        "SELECT * FROM evacuation_order WHERE ended_at IS NOT NULL "
        "ORDER BY ended_at DESC LIMIT ?", [limit])]
