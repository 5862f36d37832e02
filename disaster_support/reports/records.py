"""Evacuees' own reports ("I need…") from their phones, and what keeps floods out.

A report is a need with status 'reported' (``needs.records.record_need`` with origin
'self_report'): no count, map or match sees it until a coordinator confirms it
(``review``). Nothing here needs an outside service or a secure context (a LAN on
plain HTTP has no crypto.subtle):

- a question, the sum of two small numbers shown as digits; the answer is signed
  with the app's secret key and an expiry (a phone that queued a report offline may
  send it a day later) and answered once: its nonce goes to report_challenge_used;
- limits per network address, per device (a random cookie), per place, and on the
  reports waiting in the coordinators' lane; addresses and cookies are kept only as
  keyed hashes (report_attempt), and only for the window the limits look back over.

A call-back number is kept only with the reader's explicit consent, in need_callback
(never in the note, the audit log, the exports or the API); ``purge`` deletes them all.
"""

import datetime
import hashlib
import hmac
import ipaddress
import re
import secrets
import sqlite3
import unicodedata

from flask import current_app

from ..audit.log import Actor, record
from ..db import NOW, write_transaction
from ..needs import records as needs
from ..parameters import valid_text, whole_number
from ..personal_data import looks_personal, purger
from ..shelters import places, registry
from ..shelters.registry import ValidationError
from ..text import _l

# --- The limits (each counts accepted reports within WINDOW) ----------------------
WINDOW = datetime.timedelta(hours=1)
PER_DEVICE = 5      # a family reports water, medicine, an interpreter...
PER_ADDRESS = 20    # a shelter's free Wi-Fi or a carrier's NAT is shared by many phones
PER_PLACE = 60      # from anyone, for one place: more than its coordinators can check
ATTEMPTS_PER_ADDRESS = 60  # wrong answers to the question: then 429 until the window ends
LANE_CAPACITY = 300  # unverified reports waiting city-wide: beyond it nobody checks them
CHALLENGE_TTL = datetime.timedelta(hours=24)
LARGEST_ADDEND = 9
MAX_PEOPLE = 20     # one phone reports for its family or group, not for a shelter
PHONE_DIGITS = (10, 15)  # Japanese numbers have 10 or 11; E.164 at most 15
MAX_PHONE = 30
DEVICE_COOKIE = "report_device"
DEVICE_COOKIE_DAYS = 30
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TOKEN = re.compile(r"^(\d{10})\.([A-Za-z0-9_-]{16})\.([0-9a-f]{32})$")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―ー−－"), "-")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*$")

# Who writes a report: nobody signed in. No address either: an evacuee's phone is
# more personal than a staff member's, and the limits keep only keyed hashes.
PUBLIC = Actor("self-report", None, "public", None)

FIELD_LABELS = {
    "category": needs.FIELD_LABELS["category"],
    "language": needs.FIELD_LABELS["language"],
    "people": needs.FIELD_LABELS["people"],
    "note": needs.FIELD_LABELS["note"],
    "client_id": needs.FIELD_LABELS["client_id"],
    "shelter_id": needs.FIELD_LABELS["shelter_id"],
    "ward": places.PLACE_FIELDS["ward"],
    "phone": _l("Phone number"),
    "consent": _l("Consent to be called back"),
    "answer": _l("Answer to the question"),
}
FORM_FIELDS = ("client_id", "category", "language", "people", "note", "ward", "callback",
               "phone", "consent", "challenge", "answer")


class RateLimited(Exception):
    """Refused for a limit: ``message`` says why, in the reader's language (HTTP 429)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


TOO_MANY_FROM_HERE = _l(
    "Too many reports from this phone or network in the last hour. Please try again "
    "later. In an emergency, call 119 (fire, ambulance) or 110 (police).")
TOO_MANY_WAITING = _l(
    "Too many reports are waiting to be checked at the moment. Please try again later, "
    "or tell the staff of a shelter. In an emergency, call 119 (fire, ambulance) or 110 "
    "(police).")


def _secret(secret):
    return (secret or current_app.config["SECRET_KEY"]).encode()


def _mac(secret, purpose, text):
    # one key per purpose, so a signature of one kind is never valid as another
    key = hmac.new(_secret(secret), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat()


# --- The question -------------------------------------------------------------------

def new_challenge(*, secret=None, now=None):
    """((a, b), token): the page asks "a + b"; the token carries the expiry, a nonce
    and the signature of the answer, never the answer itself."""
    now = now or NOW()
    a, b = 1 + secrets.randbelow(LARGEST_ADDEND), 1 + secrets.randbelow(LARGEST_ADDEND)
    expires = int((now + CHALLENGE_TTL).timestamp())
    nonce = secrets.token_urlsafe(12)
    return (a, b), f"{expires}.{nonce}.{_mac(secret, 'challenge', f'{expires}.{nonce}.{a + b}')}"


def _digits(text):
    """Digits of any script as ASCII: a phone may type ７ or ၇."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c
                   for c in unicodedata.normalize("NFKC", text))


def check_challenge(token, answer, *, secret=None, now=None):
    """The nonce of a right, unexpired answer; else a ValidationError naming the answer."""
    label = FIELD_LABELS["answer"]
    answer = _digits(answer).strip() if isinstance(answer, str) else ""
    if not answer:
        raise ValidationError({"answer": _l("%(field)s: required.", field=label)})
    match = _TOKEN.match(token) if isinstance(token, str) else None
    if match and int(match[1]) < (now or NOW()).timestamp():
        raise ValidationError({"answer": _l(
            "%(field)s: the question has expired. Please answer the new question.",
            field=label)})
    if match and answer.isdigit() and len(answer) <= 3:
        answer = str(int(answer))  # "07" is 7
        right = hmac.compare_digest(
            _mac(secret, "challenge", f"{match[1]}.{match[2]}.{answer}"), match[3])
    else:
        right = False
    if not right:
        raise ValidationError({"answer": _l(
            "%(field)s: this is not the right answer. Please answer the new question.",
            field=label)})
    return match[2]


def _replayed():
    return ValidationError({"answer": _l(
        "%(field)s: this question was already answered once. Please answer the new "
        "question.", field=FIELD_LABELS["answer"])})


# --- The limits -----------------------------------------------------------------------

def keys(address, device, *, secret=None):
    """(address key, device key): keyed hashes. An IPv6 phone changes its address
    within its /64, so that is what counts; without a device cookie (a bot that
    drops them) the address stands for the device."""
    try:
        ip = ipaddress.ip_address(address or "")
        where = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 \
            else str(ip)
    except ValueError:
        where = "-"
    address_key = _mac(secret, "report-address", where)
    if isinstance(device, str) and _DEVICE.match(device):
        return address_key, _mac(secret, "report-device", device)
    return address_key, _mac(secret, "report-device", "address:" + where)


def new_device_id():
    return secrets.token_urlsafe(18)


def _count(db, sql, params):
    return db.execute(sql, params).fetchone()[0]


def check_limits(db, address_key, device_key, place_id, *, now=None):
    """Raise RateLimited when a limit is reached (reads only: a refused flood costs
    a few indexed counts and no write)."""
    since = _iso((now or NOW()) - WINDOW)
    accepted = "SELECT count(*) FROM report_attempt WHERE {} = ? AND at >= ? AND accepted = ?"
    if (_count(db, accepted.format("device_key"), [device_key, since, 1]) >= PER_DEVICE
            or _count(db, accepted.format("address_key"), [address_key, since, 1])
            >= PER_ADDRESS
            or _count(db, accepted.format("address_key"), [address_key, since, 0])
            >= ATTEMPTS_PER_ADDRESS):
        raise RateLimited(TOO_MANY_FROM_HERE)
    if place_id is not None and _count(
            db, "SELECT count(*) FROM need WHERE shelter_id = ? AND origin = 'self_report' "
            "AND created_at >= ?", [place_id, since]) >= PER_PLACE:
        raise RateLimited(TOO_MANY_WAITING)
    if _count(db, "SELECT count(*) FROM need WHERE status = 'reported'", []) >= LANE_CAPACITY:
        raise RateLimited(TOO_MANY_WAITING)


def _attempt(db, address_key, device_key, accepted, now):
    db.execute("INSERT INTO report_attempt (at, address_key, device_key, accepted) "
               "VALUES (?, ?, ?, ?)", [_iso(now), address_key, device_key, int(accepted)])


def _forget_old(db, now):
    """Only the window is kept: the limits never look further back."""
    db.execute("DELETE FROM report_attempt WHERE at < ?", [_iso(now - WINDOW)])
    db.execute("DELETE FROM report_challenge_used WHERE at < ?", [_iso(now - CHALLENGE_TTL)])


# --- The report -----------------------------------------------------------------------

def _text(values, field):
    raw = values.get(field)
    if raw is None:
        return ""
    if not isinstance(raw, str) or not valid_text(raw):
        return None
    return raw.strip()


def parse_phone(raw):
    """The number as written (digits of any script made ASCII, dashes one kind), or
    None when it is no phone number."""
    if not isinstance(raw, str) or not valid_text(raw):
        return None
    phone = re.sub(r"\s+", " ", _digits(raw).translate(_DASHES)).strip()
    digits = sum(c.isdigit() for c in phone)
    if len(phone) > MAX_PHONE or not _PHONE.match(phone) or not (
            PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]):
        return None
    return phone


def parse_report(values, city, *, city_wide):
    """Check a report's fields (not the question); return the clean values or raise
    ValidationError with a message per field."""
    errors, clean = {}, {}
    people = whole_number(_digits(values.get("people") or "") if isinstance(
        values.get("people"), str) else values.get("people"))
    if people is None or not 1 <= people <= MAX_PEOPLE:
        errors["people"] = _l("%(field)s: a whole number from 1 to %(max)s.",
                              field=FIELD_LABELS["people"], max=MAX_PEOPLE)
    note = _text(values, "note")
    if note is None:
        errors["note"] = _l("%(field)s: text only.", field=FIELD_LABELS["note"])
    elif note and looks_personal(note):
        errors["note"] = _l(
            "%(field)s: this looks like %(what)s. Please write no names or contact "
            "details here; to be called back, use “Please call me back in my language”.",
            field=FIELD_LABELS["note"],
            what=", ".join(str(label) for _, label in looks_personal(note)))
    need_values = {"client_id": values.get("client_id"), "category": values.get("category"),
                   "language": values.get("language"), "people": people or 0,
                   "urgency": "normal", "note": note if isinstance(note, str) else ""}
    try:
        clean.update(needs.parse_need(need_values))
    except ValidationError as exc:
        errors.update({k: v for k, v in exc.errors.items() if k not in errors})
    if city_wide:
        ward = values.get("ward")
        if isinstance(ward, str) and city.ward(ward):
            clean["ward"] = ward
        else:
            errors["ward"] = _l("%(field)s: choose one of the city's wards.",
                                field=FIELD_LABELS["ward"])
    raw_phone = _text(values, "phone")
    wants = values.get("callback") in ("1", "yes", "on", True) or raw_phone != ""
    clean["phone"] = None
    if wants:
        phone = parse_phone(raw_phone) if raw_phone else None
        if not raw_phone:
            errors["phone"] = _l(
                "%(field)s: write the number to call, or untick “Please call me back in "
                "my language”.", field=FIELD_LABELS["phone"])
        elif phone is None:
            errors["phone"] = _l(
                "%(field)s: digits, spaces, hyphens and a leading + only, %(low)s to "
                "%(high)s digits.", field=FIELD_LABELS["phone"], low=PHONE_DIGITS[0],
                high=PHONE_DIGITS[1])
        if values.get("consent") not in ("1", "yes", "on", True):
            errors["consent"] = _l(
                "%(field)s: tick the box to agree, or leave the phone number empty.",
                field=FIELD_LABELS["consent"])
        clean["phone"] = phone
    if errors:
        raise ValidationError(errors)
    return clean


def _earlier(db, client_id):
    """The report a repeated client id already made (a retry from the phone's queue,
    an answer lost on the way back), or None."""
    if not isinstance(client_id, str):
        return None
    row = db.execute("SELECT id, origin FROM need WHERE client_id = ?", [client_id]).fetchone()
    if row is None:
        return None
    if row[1] != "self_report":
        raise ValidationError({"client_id": _l("%(field)s: already used for another shelter.",
                                               field=FIELD_LABELS["client_id"])})
    return needs.get_need(db, row[0])


def _place(db, city, place_id, ward):
    """The place a report goes to, if it exists yet (the ward's "at home" group is made
    with the first report)."""
    if place_id is not None:
        return places.current_id(db, place_id)
    row = db.execute("SELECT id FROM shelter WHERE kind = 'at_home' AND official = 0 AND "
                     "ward = ? AND district IS NULL ORDER BY id LIMIT 1", [ward]).fetchone()
    return row[0] if row else None


def submit_report(db, city, place_id, values, *, address, device, now=None, secret=None):
    """Record an evacuee's report at ``place_id`` (None: the city-wide page, where
    ``values["ward"]`` says which ward's "at home" group): (need, created).

    A repeated client id returns the first report, asking nothing again. Otherwise
    the fields, the limits (RateLimited) and the question are checked, and the report,
    its call-back number (with consent), the used nonce and the attempt are written
    in one transaction. A wrong answer is counted (its own write) against the address.
    """
    now = now or NOW()
    earlier = _earlier(db, values.get("client_id"))
    if earlier is not None:
        return earlier, False
    clean = None
    errors = {}
    try:
        clean = parse_report(values, city, city_wide=place_id is None)
    except ValidationError as exc:
        errors.update(exc.errors)
    address_key, device_key = keys(address, device, secret=secret)
    target = _place(db, city, place_id, clean and clean.get("ward"))
    check_limits(db, address_key, device_key, target, now=now)
    try:
        nonce = check_challenge(values.get("challenge"), values.get("answer"), secret=secret,
                                now=now)
    except ValidationError as exc:
        if values.get("answer"):  # a guess, not a forgotten field
            with write_transaction(db):
                _attempt(db, address_key, device_key, False, now)
        raise ValidationError({**errors, **exc.errors})
    if errors:
        raise ValidationError(errors)
    if db.execute("SELECT 1 FROM report_challenge_used WHERE nonce = ?", [nonce]).fetchone():
        raise _replayed()
    with write_transaction(db):
        check_limits(db, address_key, device_key, target, now=now)  # exact, under the lock
        try:
            db.execute("INSERT INTO report_challenge_used (nonce, at) VALUES (?, ?)",
                       [nonce, _iso(now)])
        except sqlite3.IntegrityError:
            raise _replayed() from None
        if place_id is None:
            place_id = places.home_group(db, city, clean["ward"], actor=PUBLIC)["id"]
        need_values = {k: clean[k] for k in ("client_id", "category", "language", "people",
                                             "urgency")}
        if clean.get("note"):
            need_values["note"] = clean["note"]
        need, created = needs.record_need(db, place_id, need_values, actor=PUBLIC,
                                          at=_iso(now), origin="self_report")
        if clean["phone"]:
            db.execute("INSERT INTO need_callback (need_id, phone, consent_at) VALUES (?, ?, ?)",
                       [need["id"], clean["phone"], _iso(now)])
            # the audit says that a number was given, never which
            record(db, PUBLIC, "create", "need_callback", need["id"], at=_iso(now),
                   after={"consent": True})
        _attempt(db, address_key, device_key, True, now)
        _forget_old(db, now)
        return need, created


def callback_of(db, need_id):
    """The call-back number of a need and when consent was given, or None (for
    coordinators' pages only)."""
    row = db.execute("SELECT phone, consent_at FROM need_callback WHERE need_id = ?",
                     [need_id]).fetchone()
    return {"phone": row[0], "consent_at": row[1]} if row else None


def place_for_report(db, place_id):
    """The place a report page is for (a merged place: its successor)."""
    return registry.get_shelter(db, places.current_id(db, place_id))


@purger("call-back numbers of evacuees' reports")
def _callbacks(db):
    return db.execute("DELETE FROM need_callback").rowcount


@purger("rate-limit records of evacuees' reports")
def _attempts(db):
    return db.execute("DELETE FROM report_attempt").rowcount
