"""Who is asking, and may they? Every route declares its access rule.

A request is made by a principal: a signed-in user (session cookie), a shelter
device (device session or bearer token), an API token's user, or nobody. A view
declares one rule with ``@access(...)``; ``enforce`` checks it before the view
runs. A route without a declaration is refused (and the route × role test fails).
"""

import datetime
import secrets
from dataclasses import dataclass, field

from flask import (abort, current_app, g, redirect, request, session, url_for)
from flask.sessions import SecureCookieSessionInterface

from ..audit.log import Actor
from ..db import get_accounts_db, get_db
from ..text import _l
from . import devices, users

RULES = ("public", "signed_in", "staff", "shelter", "need", "coordinator", "admin")


@dataclass(frozen=True)
class Principal:
    kind: str  # "anonymous", "user", "device"
    name: str = "anonymous"
    role: str | None = None
    user_id: int | None = None
    device_id: int | None = None
    shelters: frozenset | None = field(default=None)  # None: every shelter
    must_change_password: bool = False
    language: str | None = None
    via_token: bool = False
    patrol_team_id: int | None = None  # a patrol team's phone: the places of its route

    @property
    def signed_in(self):
        return self.kind != "anonymous"

    @property
    def is_coordinator(self):
        return self.role in ("admin", "coordinator")

    @property
    def is_admin(self):
        return self.role == "admin"

    def may_see_shelter(self, shelter_id):
        if self.is_coordinator:
            return True
        return self.shelters is not None and shelter_id in self.shelters

    def actor(self, via):
        return Actor(self.name, self.role, via, request.remote_addr if request else None)


ANONYMOUS = Principal("anonymous")


def access(rule, shelter_arg="shelter_id"):
    """Declare who may use a view (see RULES)."""
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule}")

    def decorate(view):
        view.access_rule = rule
        view.access_shelter_arg = shelter_arg
        return view

    return decorate


def current():
    return g.get("principal", ANONYMOUS)


# --- Loading the principal ---------------------------------------------------

def load_principal():
    g.principal = ANONYMOUS
    g.auth_problem = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        g.principal = _from_token(header[7:].strip())
        if not g.principal.signed_in:
            g.auth_problem = "token"
        return
    if "uid" in session:
        g.principal = _from_user_session()
    elif "device" in session:
        g.principal = _from_device_session()


def _user_principal(user, via_token=False):
    shelters = None if user["role"] in ("admin", "coordinator") else frozenset(
        r[0] for r in get_accounts_db().execute(
            "SELECT shelter_id FROM user_shelter WHERE user_id = ?", [user["id"]]))
    return Principal("user", user["username"], user["role"], user_id=user["id"],
                     shelters=shelters, must_change_password=bool(user["must_change_password"]),
                     language=user["language"], via_token=via_token)


def _device_principal(device, via_token=False):
    team = device["patrol_team_id"]
    # A patrol phone may use the tablet pages of the places on its team's route, in the
    # operational database (a drill's round during a drill).
    shelters = frozenset([device["shelter_id"]]) if team is None else frozenset(
        r[0] for r in get_db().execute("SELECT place_id FROM patrol_stop WHERE team_id = ?",
                                       [team]))
    return Principal("device", f"device:{device['id']}:{device['label']}", "shelter_staff",
                     device_id=device["id"], shelters=shelters, language=device["language"],
                     via_token=via_token, patrol_team_id=team)


def _from_token(token):
    db = get_accounts_db()
    user = users.user_for_token(db, token)
    if user:
        return _user_principal(user, via_token=True)
    device = devices.device_for_token(db, token)
    if device:
        devices.touch(db, device)
        return _device_principal(device, via_token=True)
    return ANONYMOUS


def _from_user_session():
    db = get_accounts_db()
    user = None
    if users.session_user_id(db, session.get("sid")) == session["uid"]:
        try:
            user = users.get_user(db, session["uid"])
        except users.UserNotFound:
            pass
    if user is None or user["disabled"] or users.expired(user) or \
            user["session_epoch"] != session.get("epoch"):
        session.clear()
        g.auth_problem = "session"
        return ANONYMOUS
    return _user_principal(user)


def _from_device_session():
    db = get_accounts_db()
    device = devices.get_device(db, session["device"])
    if not devices.is_usable(device):
        session.clear()
        g.auth_problem = "device"
        return ANONYMOUS
    devices.touch(db, device)
    return _device_principal(device)


def sign_in_user(user):
    """A new session on the server, and its token in the cookie."""
    session.clear()
    session.permanent = True
    session["uid"] = user["id"]
    session["epoch"] = user["session_epoch"]
    session["sid"] = users.start_session(get_accounts_db(), user["id"])


def sign_out():
    """The session ends on the server: a copy of the cookie is worth nothing after it."""
    if "sid" in session:
        users.end_session(get_accounts_db(), session["sid"])
    session.clear()


def sign_in_device(device):
    session.clear()
    session.permanent = True
    session["device"] = device["id"]


# --- Enforcing the rules -----------------------------------------------------

def rule_of(endpoint):
    if endpoint == "static":
        return "public", None
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None, None
    return getattr(view, "access_rule", None), getattr(view, "access_shelter_arg", None)


def allowed(principal, rule, shelter_id=None):
    if rule == "public":
        return True
    if not principal.signed_in:
        return False
    if rule == "signed_in":
        return True
    if rule == "staff":
        return principal.is_coordinator or principal.role == "shelter_staff"
    if rule == "shelter":
        return principal.may_see_shelter(shelter_id)
    if rule == "coordinator":
        return principal.is_coordinator
    if rule == "admin":
        return principal.is_admin
    return False


def enforce():
    """before_request: refuse what the route's rule does not allow."""
    load_principal()
    if request.endpoint is None:
        return None  # 404 / 405 follow
    rule, shelter_arg = rule_of(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule", request.endpoint)
        abort(403)
    principal = g.principal
    shelter_id = (request.view_args or {}).get(shelter_arg) if shelter_arg else None
    if rule == "need":
        # a need belongs to its shelter: the same people may see it
        from ..needs.records import shelter_of

        shelter_id = shelter_of(get_db(), (request.view_args or {}).get("need_id"))
        rule = "shelter"
    if allowed(principal, rule, shelter_id):
        if principal.must_change_password and rule != "public" and request.endpoint not in (
                "accounts.password", "accounts.sign_out"):
            return redirect(url_for("accounts.password"))
        return None
    if not principal.signed_in:
        if request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?"),
                                why=g.auth_problem))
    abort(403)


def check_api_csrf():
    """The API takes a cookie-authenticated write only with a valid CSRF token."""
    from flask_wtf.csrf import ValidationError as CSRFInvalid
    from flask_wtf.csrf import validate_csrf

    principal = current()
    if request.method in ("GET", "HEAD", "OPTIONS") or principal.via_token \
            or not principal.signed_in:
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except CSRFInvalid:
        from ..errors import render_error

        message = _l("A request signed in by cookie needs the page's CSRF token in the "
                     "X-CSRFToken header (or use a bearer token). Nothing was saved.")
        # the field lets a tablet's outbox know it may renew its token and retry
        return render_error(400, message, {"csrf_token": message})
    return None


# --- Cookies and headers -----------------------------------------------------

class SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def csp_nonce():
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(response):
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: HTTPS form posts keep the Referer that CSRF checks need, and
    # nothing (such as a tablet link) leaks to other sites.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Server"] = "disaster-support"  # not the server's name and version
    principal = getattr(g, "principal", ANONYMOUS)
    if principal.signed_in and "Cache-Control" not in response.headers:
        # A shelter tablet keeps its pages for offline use (the service worker never
        # keeps what is no-store); a person's pages are never stored.
        response.headers["Cache-Control"] = "private, no-cache" if principal.kind == "device" \
            else "private, no-store"
    return response


def init_app(app):
    app.session_interface = SessionInterface()
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", datetime.timedelta(days=30))
    app.before_request(enforce)
    app.after_request(security_headers)
    app.jinja_env.globals.update(csp_nonce=csp_nonce, principal=current)


def require_shelter(shelter_id):
    if not current().may_see_shelter(shelter_id):
        abort(403)


def messages():
    """Why the sign-in page is shown (for the reason given in ``why``)."""
    return {
        "session": _l("Your session ended. Please sign in again."),
        "device": _l("This tablet's link was revoked or has expired. Ask the coordinator "
                     "for a new one."),
    }


