"""Per-user and per-tablet preferences (the interface language)."""

from ..db import write_transaction
from . import users


def remember(db, principal, language):
    if principal.kind == "user":
        users.set_language(db, principal.user_id, language, actor=principal.actor("form"))
    elif principal.kind == "device":
        with write_transaction(db):
            db.execute("UPDATE device SET language = ? WHERE id = ?",
                       [language, principal.device_id])
