"""Sign-in, own account, user administration and shelter device links."""

import segno
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..claims import records as claims
from ..db import get_accounts_db, get_db
from ..local_paths import local_path
from ..shelters.registry import ShelterNotFound, ValidationError, get_shelter, list_shelters
from . import devices, throttle, users
from .access import access, current, messages, sign_in_device, sign_in_user
from .access import sign_out as end_session

bp = Blueprint("accounts", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
@access("public")
def sign_in():
    db = get_accounts_db()
    errors = {}
    status = 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        address = request.remote_addr
        known = users.exists(db, username)
        wait = throttle.blocked_for(db, username, address, known)
        if wait:
            errors["form"] = ngettext("Too many failed attempts. Try again in %(num)s second.",
                                      "Too many failed attempts. Try again in %(num)s seconds.",
                                      wait)
            status = 429
        else:
            user = users.authenticate(db, username, request.form.get("password", ""))
            if user is None:
                throttle.failed(db, username, address, known)
                errors["form"] = _("User name or password is wrong.")
                status = 401
            else:
                throttle.succeeded(db, username, address)
                sign_in_user(user)
                principal_actor = users_actor(user)
                users.record_login(db, user, principal_actor)
                return redirect(local_path(request.args.get("next"), url_for("home.index")))
    why = messages().get(request.args.get("why"))
    return render_template("accounts/sign_in.html", errors=errors, username=username,
                           why=why), status


def users_actor(user):
    from ..audit.log import Actor

    return Actor(user["username"], user["role"], "form", request.remote_addr)


@bp.get("/sign-out")
@access("signed_in")
def sign_out_confirm():
    """A tablet is asked first: without a password it cannot sign in again by itself."""
    principal = current()
    if principal.kind != "device":
        return redirect(url_for("home.index"))
    shelter = get_shelter(get_accounts_db(), next(iter(principal.shelters)))
    return render_template("accounts/sign_out.html", shelter=shelter)


@bp.post("/sign-out")
@access("signed_in")
def sign_out():
    principal = current()
    if principal.kind == "user" and principal.user_id:
        claims.release_all(get_db(), principal.user_id)  # leaving: others may take them
    end_session()
    flash(_("You are signed out."), "info")
    response = redirect(url_for("accounts.sign_in"))
    # and whatever this browser cached of the person's pages goes too
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.get("/account")
@access("signed_in")
def account():
    """The signed-in person's own page: who they are and what they may do."""
    principal = current()
    if principal.kind != "user":
        abort(403)
    db = get_accounts_db()
    user = users.get_user(db, principal.user_id)
    shelters = list_shelters(db, only=frozenset(user["shelters"])) if user["shelters"] else []
    return render_template("accounts/account.html", user=user, roles=users.ROLES,
                           shelters=shelters)


@bp.route("/account/password", methods=["GET", "POST"])
@access("signed_in")
def password():
    principal = current()
    if principal.kind != "user":
        abort(403)
    db = get_accounts_db()
    errors = {}
    if request.method == "POST":
        user = users.get_user(db, principal.user_id)
        if users.authenticate(db, user["username"], request.form.get("current", "")) is None:
            errors["current"] = _("Current password: it is not right.")
        elif request.form.get("password") != request.form.get("confirm"):
            errors["confirm"] = _("Repeat the new password: the two entries differ.")
        else:
            try:
                users.set_password(db, user["id"], request.form.get("password", ""),
                                   actor=principal.actor("form"))
            except ValidationError as exc:
                errors.update(exc.errors)
            else:
                sign_in_user(users.get_user(db, user["id"]))  # this session stays valid
                flash(_("Your password is changed. Other sessions are signed out."), "success")
                return redirect(url_for("home.index"))
    return render_template("accounts/password.html", errors=errors,
                           forced=principal.must_change_password), 400 if errors else 200


# --- Administration of users -------------------------------------------------

@bp.get("/admin/users")
@access("admin")
def user_list():
    db = get_accounts_db()
    return render_template("accounts/users.html", users=users.list_users(db), roles=users.ROLES,
                           errors={}, form={})


@bp.post("/admin/users")
@access("admin")
def user_create():
    db = get_accounts_db()
    form = request.form
    one_time = users.new_password()
    shelters = [s.strip() for s in form.get("shelters", "").replace(",", " ").split() if s]
    try:
        users.create_user(db, form.get("username", ""), form.get("role", ""), one_time,
                          shelters=shelters, must_change=True, actor=current().actor("form"))
    except ValidationError as exc:
        return render_template("accounts/users.html", users=users.list_users(db),
                               roles=users.ROLES, errors=exc.errors, form=form), 400
    return render_template("accounts/secret.html", title=_("User created"),
                           lines=[(_("User name"), form.get("username", "").strip()),
                                  (_("One-time password"), one_time)],
                           note=_("Give this password to the person. They must choose a new "
                                  "one when they first sign in. It is shown only now."))


def _user_or_404(user_id):
    try:
        return users.get_user(get_accounts_db(), user_id)
    except users.UserNotFound:
        abort(404)


@bp.get("/admin/users/<int:user_id>")
@access("admin")
def user_detail(user_id, errors=None, status=200):
    user = _user_or_404(user_id)
    return render_template("accounts/user.html", user=user, roles=users.ROLES,
                           tokens=users.list_tokens(get_accounts_db(), user_id),
                           errors=errors or {}), status


@bp.post("/admin/users/<int:user_id>")
@access("admin")
def user_update(user_id):
    _user_or_404(user_id)
    form = request.form
    shelters = [s.strip() for s in form.get("shelters", "").replace(",", " ").split() if s]
    try:
        changed = users.update_user(get_accounts_db(), user_id, role=form.get("role"),
                                    shelters=shelters, disabled=form.get("disabled") == "1",
                                    actor=current().actor("form"))
    except ValidationError as exc:
        return user_detail(user_id, errors=exc.errors, status=400)
    flash(_("Saved. The user's sessions are signed out.") if changed else _("Nothing changed."),
          "success" if changed else "info")
    return redirect(url_for("accounts.user_detail", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/revoke-sessions")
@access("admin")
def user_revoke_sessions(user_id):
    _user_or_404(user_id)
    users.revoke_sessions(get_accounts_db(), user_id, actor=current().actor("form"))
    flash(_("All sessions of this user are signed out."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/password")
@access("admin")
def user_reset_password(user_id):
    user = _user_or_404(user_id)
    one_time = users.new_password()
    users.set_password(get_accounts_db(), user_id, one_time, must_change=True,
                       actor=current().actor("form"))
    return render_template("accounts/secret.html", title=_("Password reset"),
                           lines=[(_("User name"), user["username"]),
                                  (_("One-time password"), one_time)],
                           note=_("Give this password to the person. They must choose a new "
                                  "one when they sign in. It is shown only now."))


@bp.post("/admin/users/<int:user_id>/tokens")
@access("admin")
def token_create(user_id):
    user = _user_or_404(user_id)
    label = request.form.get("label", "").strip()[:60] or None
    token = users.create_token(get_accounts_db(), user_id, label=label,
                               actor=current().actor("form"))
    return render_template("accounts/secret.html", title=_("API token created"),
                           lines=[(_("User name"), user["username"]), (_("API token"), token)],
                           note=_("Send it as “Authorization: Bearer …”. It is shown only now; "
                                  "revoke it on the user's page when it is no longer needed."))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@access("admin")
def token_revoke(token_id):
    db = get_accounts_db()
    row = db.execute("SELECT user_id FROM api_token WHERE id = ?", [token_id]).fetchone()
    if not row:
        abort(404)
    users.revoke_token(db, token_id, actor=current().actor("form"))
    flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.user_detail", user_id=row[0]))


# --- Shelter devices ---------------------------------------------------------

@bp.get("/devices")
@access("coordinator")
def device_list(errors=None, status=200):
    db = get_accounts_db()
    return render_template(
        "accounts/devices.html", devices=devices.list_devices(db),
        shelters=list_shelters(db, kind=None, sort="name"), lifetimes=devices.LIFETIMES_DAYS,
        errors=errors or {}, form=request.form, now=_now()), status


def _now():
    from ..db import utcnow

    return utcnow()


def join_url(token):
    """The link a tablet opens: on the LAN address, not the coordinator's localhost."""
    base = current_app.config.get("PUBLIC_URL")
    path = url_for("accounts.join", token=token)
    return base.rstrip("/") + path if base else request.host_url.rstrip("/") + path


@bp.post("/devices")
@access("coordinator")
def device_issue():
    db = get_accounts_db()
    form = request.form
    days = form.get("days", "")
    try:
        device_id, token = devices.issue_device(
            db, form.get("shelter_id", ""), form.get("label", ""),
            days=int(days) if days.isdigit() else -1, actor=current().actor("form"))
    except ShelterNotFound:
        return device_list(errors={"shelter_id": _("Shelter: choose a shelter from the list.")},
                           status=400)
    except ValidationError as exc:
        return device_list(errors=exc.errors, status=400)
    device = devices.get_device(db, device_id)
    url = join_url(token)
    qr = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
    local = request.host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")
    return render_template("accounts/device_link.html", device=device, url=url, qr=qr,
                           shelter=get_shelter(db, device["shelter_id"]), local=local)


@bp.post("/devices/<int:device_id>/revoke")
@access("coordinator")
def device_revoke(device_id):
    db = get_accounts_db()
    if devices.get_device(db, device_id) is None:
        abort(404)
    devices.revoke_device(db, device_id, actor=current().actor("form"))
    flash(_("The tablet's link is revoked: it is signed out at its next request."), "success")
    return redirect(url_for("accounts.device_list"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@access("public")
def join(token):
    db = get_accounts_db()
    device = devices.device_for_token(db, token)
    if device is None:
        return render_template("accounts/join.html", device=None), 401
    team = device["patrol_team_id"]
    shelter = None if team else get_shelter(db, device["shelter_id"])
    if request.method == "POST":
        sign_in_device(device)
        devices.touch(db, device)
        if team:
            return redirect(url_for("patrols.team_page", team_id=team))
        return redirect(url_for("needs.tablet", shelter_id=shelter["id"]))
    return render_template("accounts/join.html", device=device, shelter=shelter)
