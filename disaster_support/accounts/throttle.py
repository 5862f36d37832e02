"""Failed sign-ins slow down guessing, without letting anyone lock a person out.

Failures count per account and network address together: guessing one account's
password from one address soon waits 1 s, 2 s, 4 s ... up to 15 min, while the same
person signing in from elsewhere is not held up. Failures under user names that do
not exist also count per address, and hold up only such names: someone trying random
names (or many accounts) from the address of the center's HTTPS proxy, which everyone
shares, cannot lock out a coordinator who knows their password. Blocking is checked
before the password, so a blocked guess costs the guesser time and the server nothing.
"""

import math
import time

from ..db import write_transaction

FREE_FAILURES = {"account": 3, "unknown names": 10}
MAX_BLOCK_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 24 * 3600

clock = time.time  # tests replace it: no test waits for the wall clock


def keys(username, address, known):
    """The counters a sign-in under this name, from this address, is held by."""
    account = ("account", f"user:{(username or '').strip().lower()}|{address or '-'}")
    return [account] if known else [account, ("unknown names", f"address:{address or '-'}")]


def blocked_for(db, username, address, known):
    """Seconds until a sign-in may be tried again (0: now)."""
    now = clock()
    held_by = [key for _, key in keys(username, address, known)]
    marks = ", ".join("?" * len(held_by))
    waits = [row[0] - now for row in db.execute(
        f"SELECT blocked_until FROM login_throttle WHERE key IN ({marks})", held_by)]
    return max([0] + [math.ceil(w) for w in waits if w > 0])


def failed(db, username, address, known):
    now = clock()
    with write_transaction(db):
        for kind, key in keys(username, address, known):
            row = db.execute("SELECT failures, last_failure_at FROM login_throttle WHERE key = ?",
                             [key]).fetchone()
            failures = 1 if not row or now - row[1] > FORGET_AFTER_SECONDS else row[0] + 1
            extra = failures - FREE_FAILURES[kind]
            until = now + min(2 ** (extra - 1), MAX_BLOCK_SECONDS) if extra > 0 else 0
            db.execute("INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = "
                       "excluded.failures, last_failure_at = excluded.last_failure_at, "
                       "blocked_until = excluded.blocked_until", [key, failures, now, until])


def succeeded(db, username, address):
    with write_transaction(db):
        db.execute("DELETE FROM login_throttle WHERE key = ?",
                   [keys(username, address, True)[0][1]])
