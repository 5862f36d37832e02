"""Users, roles, passwords and API tokens.

Passwords are hashed with scrypt (werkzeug's default KDF); tokens are random
and stored only as SHA-256 hashes, so a copy of the database reveals neither.
"""

import datetime
import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.log import record
from ..db import NOW, utcnow, write_transaction
from ..personal_data import purger
from ..shelters.registry import ValidationError
from ..text import _l

ROLES = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "shelter_staff": _l("Shelter staff"),
    "volunteer": _l("Volunteer"),
}
MIN_PASSWORD = 10
TOKEN_PREFIX = "ds_"

# Checked against when the user does not exist, so that a wrong name costs as
# much time as a wrong password and names cannot be discovered by timing.
_DUMMY_HASH = generate_password_hash("not a password")


class UserNotFound(LookupError):
    pass


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token():
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password():
    """A one-time password that is easy to type from a printout."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


# Rows of keys and runs of letters or digits that people type as "a long password".
_RUNS = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
         "zyxwvutsrqponmlkjihgfedcba", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb",
         "qazwsxedcrfvtgbyhnujmikolp")
_COMMON = frozenset((
    "password", "password1", "password12", "password123", "password1234", "passw0rd",
    "iloveyou", "letmein", "welcome", "welcome1", "admin", "admin123", "administrator",
    "changeme", "sagamihara", "disaster", "coordinator", "trustno1", "sunshine",
    "princess", "football", "baseball", "dragon", "monkey", "master", "shadow"))


def check_new_password(password, username=""):
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError({"password": _l(
            "Password: use at least %(count)s characters.", count=MIN_PASSWORD)})
    if username and password.lower() == username.lower():
        raise ValidationError({"password": _l("Password: must differ from the user name.")})
    lowered = password.lower()
    if (len(set(lowered)) < 4 or any(lowered in run for run in _RUNS)
            or lowered.rstrip("0123456789!.") in _COMMON or lowered in _COMMON):
        raise ValidationError({"password": _l(
            "Password: too easy to guess (a common password, a sequence of keys or one "
            "character repeated). Use a few words or a mix of letters and numbers.")})


def _check_username(username):
    if not username or len(username) > 64 or not all(
            c.isalnum() or c in "-_." for c in username):
        raise ValidationError({"username": _l(
            "User name: 1 to 64 letters, digits, '-', '_' or '.'.")})


def _check_role(role, shelters):
    if role not in ROLES:
        raise ValidationError({"role": _l(
            "Role: choose one of: admin, coordinator, shelter_staff, volunteer.")})
    if role == "shelter_staff" and not shelters:
        raise ValidationError({"shelters": _l(
            "Shelters: shelter staff need at least one shelter.")})


def _check_shelters(db, shelters):
    unknown = [s for s in shelters if not db.execute(
        "SELECT 1 FROM shelter WHERE id = ?", [s]).fetchone()]
    if unknown:
        raise ValidationError({"shelters": _l(
            "Shelters: no shelter with the ID %(ids)s.", ids=", ".join(unknown))})


def expired(user, now=None):
    """An account given for a time (an interpreter sent by a partner city) has ended."""
    return bool(user["expires_at"]) and user["expires_at"] <= (now or utcnow())


def create_user(db, username, role, password, *, actor, shelters=(), must_change=False,
                language=None, expires_at=None):
    username = (username or "").strip()
    _check_username(username)
    _check_role(role, shelters)
    check_new_password(password, username)
    with write_transaction(db):
        _check_shelters(db, shelters)
        if db.execute("SELECT 1 FROM user WHERE username = ?", [username]).fetchone():
            raise ValidationError({"username": _l(
                "User name: “%(name)s” is taken.", name=username)})
        cursor = db.execute(
            "INSERT INTO user (username, role, password_hash, must_change_password, language, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [username, role, generate_password_hash(password), int(must_change), language,
             utcnow(), expires_at])
        user_id = cursor.lastrowid
        for shelter in shelters:
            db.execute("INSERT INTO user_shelter VALUES (?, ?)", [user_id, shelter])
        record(db, actor, "create", "user", user_id, after={
            "username": username, "role": role, "shelters": list(shelters),
            "expires_at": expires_at})
    return user_id


def get_user(db, user_id=None, *, username=None):
    if username is not None:
        rows = list(db.query("SELECT * FROM user WHERE username = ?", [username]))
    else:
        rows = list(db.query("SELECT * FROM user WHERE id = ?", [user_id]))
    if not rows:
        raise UserNotFound(username or user_id)
    user = rows[0]
    user["shelters"] = [r[0] for r in db.execute(
        "SELECT shelter_id FROM user_shelter WHERE user_id = ? ORDER BY shelter_id",
        [user["id"]])]
    return user


def list_users(db):
    users = list(db.query("SELECT * FROM user ORDER BY role, username"))
    scopes = {}
    for user_id, shelter_id in db.execute("SELECT user_id, shelter_id FROM user_shelter"):
        scopes.setdefault(user_id, []).append(shelter_id)
    for user in users:
        user["shelters"] = sorted(scopes.get(user["id"], []))
    return users


def count_users(db):
    return db.execute("SELECT count(*) FROM user").fetchone()[0]


def exists(db, username):
    return db.execute("SELECT 1 FROM user WHERE username = ?",
                      [(username or "").strip()]).fetchone() is not None


def authenticate(db, username, password):
    """The user if the password is right and the account usable, else None."""
    rows = list(db.query("SELECT * FROM user WHERE username = ?", [(username or "").strip()]))
    if not rows:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user = rows[0]
    if not check_password_hash(user["password_hash"], password or "") or user["disabled"] \
            or expired(user):
        return None
    return user


def record_login(db, user, actor):
    with write_transaction(db):
        db.execute("UPDATE user SET last_login_at = ? WHERE id = ?", [utcnow(), user["id"]])
        record(db, actor, "sign_in", "user", user["id"])


def set_password(db, user_id, password, *, actor, must_change=False):
    user = get_user(db, user_id)
    check_new_password(password, user["username"])
    with write_transaction(db):
        db.execute("UPDATE user SET password_hash = ?, must_change_password = ?, "
                   "session_epoch = session_epoch + 1 WHERE id = ?",
                   [generate_password_hash(password), int(must_change), user_id])
        _end_sessions(db, user_id)
        record(db, actor, "set_password", "user", user_id)


def update_user(db, user_id, *, actor, role=None, shelters=None, disabled=None):
    """Change role, shelter scope or the disabled flag; ends the user's sessions."""
    user = get_user(db, user_id)
    role = role or user["role"]
    shelters = list(user["shelters"] if shelters is None else shelters)
    _check_role(role, shelters)
    disabled = user["disabled"] if disabled is None else int(bool(disabled))
    before = {"role": user["role"], "shelters": user["shelters"], "disabled": user["disabled"]}
    after = {"role": role, "shelters": sorted(shelters), "disabled": disabled}
    if before == after:
        return False
    with write_transaction(db):
        _check_shelters(db, shelters)
        db.execute("UPDATE user SET role = ?, disabled = ?, session_epoch = session_epoch + 1 "
                   "WHERE id = ?", [role, disabled, user_id])
        _end_sessions(db, user_id)
        db.execute("DELETE FROM user_shelter WHERE user_id = ?", [user_id])
        for shelter in shelters:
            db.execute("INSERT INTO user_shelter VALUES (?, ?)", [user_id, shelter])
        record(db, actor, "update", "user", user_id, before=before, after=after)
    return True


def set_language(db, user_id, language, *, actor):
    with write_transaction(db):
        db.execute("UPDATE user SET language = ? WHERE id = ?", [language, user_id])
        record(db, actor, "set_language", "user", user_id, after={"language": language})


def revoke_sessions(db, user_id, *, actor):
    """Every signed-in session of the user ends at its next request."""
    get_user(db, user_id)
    with write_transaction(db):
        db.execute("UPDATE user SET session_epoch = session_epoch + 1 WHERE id = ?", [user_id])
        _end_sessions(db, user_id)
        record(db, actor, "revoke_sessions", "user", user_id)


# --- Sign-in sessions: the cookie carries a token, the database its hash -------------

SESSION_HOURS = 12


def start_session(db, user_id):
    """A new signed-in session of the user, valid SESSION_HOURS; returns its token."""
    token = new_token()
    expires = NOW().replace(microsecond=0) + datetime.timedelta(hours=SESSION_HOURS)
    with write_transaction(db):
        db.execute("INSERT INTO user_session (token_hash, user_id, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?)", [hash_token(token), user_id, utcnow(),
                                           expires.isoformat()])
    return token


def session_user_id(db, token):
    """The user whose session this token is, while it has neither ended nor expired."""
    row = db.execute("SELECT user_id FROM user_session WHERE token_hash = ? AND ended_at IS "
                     "NULL AND expires_at > ?", [hash_token(token or ""), utcnow()]).fetchone()
    return row[0] if row else None


def end_session(db, token):
    """Signing out: the session is over, for every copy of its cookie."""
    with write_transaction(db):
        db.execute("UPDATE user_session SET ended_at = ? WHERE token_hash = ? AND ended_at IS "
                   "NULL", [utcnow(), hash_token(token or "")])


def _end_sessions(db, user_id):
    db.execute("UPDATE user_session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
               [utcnow(), user_id])


@purger("ended sign-in sessions")
def _past_sessions(db):
    return db.execute("DELETE FROM user_session WHERE ended_at IS NOT NULL OR expires_at <= ?",
                      [utcnow()]).rowcount


def create_token(db, user_id, *, actor, label=None):
    """A new API token for the user; only its hash is kept, so show it once."""
    get_user(db, user_id)
    token = new_token()
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO api_token (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
            [user_id, hash_token(token), label, utcnow()])
        record(db, actor, "create", "api_token", cursor.lastrowid, after={"user_id": user_id,
                                                                         "label": label})
    return token


def list_tokens(db, user_id):
    return list(db.query("SELECT id, label, created_at, last_used_at, revoked_at FROM api_token "
                         "WHERE user_id = ? ORDER BY id DESC", [user_id]))


def revoke_token(db, token_id, *, actor):
    with write_transaction(db):
        changed = db.execute("UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at "
                             "IS NULL", [utcnow(), token_id]).rowcount
        if changed:
            record(db, actor, "revoke", "api_token", token_id)
    return bool(changed)


def user_for_token(db, token):
    rows = list(db.query(
        "SELECT t.id AS token_id, t.last_used_at AS token_used, u.* FROM api_token t "
        "JOIN user u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
        "AND u.disabled = 0 AND (u.expires_at IS NULL OR u.expires_at > ?)",
        [hash_token(token), utcnow()]))
    return rows[0] if rows else None
