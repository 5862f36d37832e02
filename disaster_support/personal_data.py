"""Personal data: spotting it in free text, and removing it after an event.

Needs hold counts, languages and categories, never names. Free-text notes are
checked for what looks like a phone number, an e-mail address or a residence
card / passport number, so the person typing is warned before saving. After an
event, ``purge`` removes what identifies people and keeps the statistics.
"""

import re
import unicodedata

from .audit.log import record
from .db import write_transaction
from .text import _l

PATTERNS = (
    ("phone", re.compile(r"(?<!\d)(?:\+81[\s-]?|0)\d{1,4}[\s-]?\d{1,4}[\s-]?\d{3,4}(?!\d)"),
     _l("a phone number")),
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), _l("an e-mail address")),
    # 在留カード: two letters, eight digits, two letters (e.g. AB12345678CD)
    ("residence_card", re.compile(r"(?<![A-Za-z])[A-Za-z]{2}\s?\d{8}\s?[A-Za-z]{2}(?![A-Za-z])"),
     _l("a residence card number")),
    ("passport", re.compile(r"(?<![A-Za-z\d])[A-Za-z]{1,2}\d{7,8}(?![A-Za-z\d])"),
     _l("a passport number")),
)


def looks_personal(text):
    """What in ``text`` looks like personal data: a list of (kind, label)."""
    text = unicodedata.normalize("NFKC", text or "")
    found = []
    for kind, pattern, label in PATTERNS:
        if pattern.search(text):
            found.append((kind, label))
    return found


# Each capability that stores personal data adds a purger: (name, function(db) → count).
PURGERS = []


def purger(name):
    def register(function):
        PURGERS.append((name, function))
        return function
    return register


@purger("network addresses in the audit log")
def _audit_addresses(db):
    return db.execute("UPDATE audit SET address = NULL WHERE address IS NOT NULL").rowcount


@purger("sign-in throttling records")
def _throttle(db):
    return db.execute("DELETE FROM login_throttle").rowcount


def purge(db, *, actor):
    """Remove personal data in one transaction; return what was removed."""
    removed = {}
    with write_transaction(db):
        for name, function in PURGERS:
            removed[name] = function(db)
        record(db, actor, "purge", "personal_data", after=removed)
    return removed
