"""Failed sign-ins slow down guessing: per account and per network address.

After a few failures each further one blocks the key for a growing time
(1 s, 2 s, 4 s ... up to 15 min). Blocking is checked before the password, so
a blocked guess costs the guesser time and the server nothing.
"""

import math
import time

from ..db import write_transaction

FREE_FAILURES = {"user": 3, "address": 10}
MAX_BLOCK_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 24 * 3600

clock = time.time  # tests replace it: no test waits for the wall clock


def keys(username, address):
    return [("user", f"user:{(username or '').strip().lower()}"),
            ("address", f"address:{address or '-'}")]


def blocked_for(db, username, address):
    """Seconds until a sign-in may be tried again (0: now)."""
    now = clock()
    waits = [row[0] - now for row in db.execute(
        "SELECT blocked_until FROM login_throttle WHERE key IN (?, ?)",
        [k for _, k in keys(username, address)])]
    return max([0] + [math.ceil(w) for w in waits if w > 0])


def failed(db, username, address):
    now = clock()
    with write_transaction(db):
        for kind, key in keys(username, address):
            row = db.execute("SELECT failures, last_failure_at FROM login_throttle WHERE key = ?",
                             [key]).fetchone()
            failures = 1 if not row or now - row[1] > FORGET_AFTER_SECONDS else row[0] + 1
            extra = failures - FREE_FAILURES[kind]
            until = now + min(2 ** (extra - 1), MAX_BLOCK_SECONDS) if extra > 0 else 0
            db.execute("INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = "
                       "excluded.failures, last_failure_at = excluded.last_failure_at, "
                       "blocked_until = excluded.blocked_until", [key, failures, now, until])


def succeeded(db, username):
    with write_transaction(db):
        db.execute("DELETE FROM login_throttle WHERE key = ?", [keys(username, None)[0][1]])
