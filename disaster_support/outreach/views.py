"""The broadcast pack of a notice: per language, a text for each channel, with copy
buttons, the short link and its QR code; printable as one sheet."""

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from markupsafe import Markup

from ..accounts.access import access, current
from ..db import get_db
from ..notices import records as notices
from ..notices.render import render_all
from ..notices.views import board_language, qr_svg
from ..shelters.registry import ValidationError
from ..shelters.views import shelter_or_404
from ..vocabulary import languages
from . import broadcast, mail, reach

bp = Blueprint("outreach", __name__)


def short_url(notice_id, tag):
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return base + url_for("notices.public_notice", notice_id=notice_id, tag=tag)


def _notice_or_404(db, notice_id):
    try:
        return notices.get_notice(db, notice_id)
    except notices.NoticeNotFound:
        abort(404)


@bp.get("/notices/<int:notice_id>/broadcast")
@access("coordinator")
def pack(notice_id):
    db = get_db()
    notice = _notice_or_404(db, notice_id)
    texts = render_all(notice, notices.names_for(db, [notice]))
    packs = broadcast.pack(texts, lambda tag: short_url(notice_id, tag),
                           current_app.extensions["city"])
    measures = {tag: {"x": broadcast.x_weight(p["x"]), "sms": broadcast.sms_units(p["sms"])}
                for tag, p in packs.items()}
    return render_template(
        "outreach/pack.html", notice=notice, packs=packs, measures=measures,
        title=texts[notice["source_language"]].title, languages=languages(),
        missing=[tag for tag in languages() if tag not in packs],
        qr={tag: Markup(qr_svg(p["url"], scale=3)) for tag, p in packs.items()},
        limits={"x": broadcast.X_LIMIT, "line": broadcast.LINE_LIMIT},
        states=notices.STATES)


@bp.post("/shelters/<shelter_id>/notices/<int:notice_id>/posted")
@access("shelter")
def posted(shelter_id, notice_id):
    """The tablet confirms: this notice is on the wall here (from its outbox as JSON,
    or a plain form). Twice is once."""
    db = get_db()
    shelter = shelter_or_404(shelter_id)
    if notice_id not in {n["id"] for n in notices.board_notices(db, shelter["id"])}:
        if request.is_json:
            return jsonify(errors={"notice": _("This notice is not on this place's board.")}), 409
        abort(404)
    created = reach.confirm_posted(db, notice_id, shelter["id"], actor=current().actor("form"))
    if request.is_json:
        return jsonify(created=created)
    flash(_("Saved: posted on the wall."), "success")
    return redirect(url_for("needs.tablet", shelter_id=shelter["id"], _anchor="wall")), 303


# --- Notices by e-mail ------------------------------------------------------------------

def _public_page(template, tag, status=200, **context):
    return render_template(f"outreach/{template}.html", tag=tag, languages=languages(),
                           **context), status


@bp.route("/board/<shelter_id>/subscribe", methods=["GET", "POST"])
@access("public")
def subscribe(shelter_id):
    shelter = shelter_or_404(shelter_id)
    tag = board_language()
    if request.method == "GET":
        return _public_page("subscribe", tag, shelter=shelter, errors={}, form={})
    form = request.form
    try:
        mail.subscribe(get_db(), form.get("email"), tag, shelter["id"],
                       consent=form.get("consent") == "1")
    except ValidationError as exc:
        return _public_page("subscribe", tag, 400, shelter=shelter, errors=exc.errors,
                            form=form)
    _wake()
    return _public_page("subscribe", tag, shelter=shelter, errors={}, form={}, done=True)


def _subscriber_or_404(token):
    """The subscription a mail's link names (its token is its only key)."""
    db = get_db()
    subscriber = mail.subscriber_by_token(db, token)
    if subscriber is None:
        abort(404)
    return db, subscriber


@bp.route("/mail/confirm/<token>", methods=["GET", "POST"])
@access("public")
def confirm(token):
    db, subscriber = _subscriber_or_404(token)
    tag = subscriber["language"]
    if request.method == "POST":
        subscriber = mail.confirm(db, token) or abort(404)
        return _public_page("mail_step", tag, step="confirmed", token=token)
    # a link only shows a button: mail scanners that open links confirm nothing
    return _public_page("mail_step", tag, step="confirm", token=token,
                        active=subscriber["status"] == "active")


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@access("public")
def unsubscribe(token):
    db, subscriber = _subscriber_or_404(token)
    tag = subscriber["language"]
    if request.method == "POST":  # the page's button, or a mail program's one click
        mail.unsubscribe(db, token)
        return _public_page("mail_step", tag, step="unsubscribed", token=token)
    return _public_page("mail_step", tag, step="unsubscribe", token=token)


@bp.post("/notices/<int:notice_id>/mail")
@access("coordinator")
def mail_notice(notice_id):
    db = get_db()
    notice = _notice_or_404(db, notice_id)
    if notice["state"] != "published":
        flash(_("Only a notice on the boards is sent by e-mail."), "error")
        return redirect(url_for("notices.detail", notice_id=notice_id)), 303
    counts = mail.send_notice(db, notice, render_all(notice, notices.names_for(db, [notice])),
                              actor=current().actor("form"))
    flash(_("E-mail: %(queued)s queued, %(already)s already sent or waiting, "
            "%(untranslated)s not yet in their language.", **counts), "success")
    if not current_app.config.get("SMTP_HOST"):
        flash(_("No mail relay is configured (SMTP_HOST): the mails wait in the outbox."),
              "warning")
    _wake()
    return redirect(url_for("notices.detail", notice_id=notice_id, _anchor="mail")), 303


@bp.get("/outreach/subscribers")
@access("coordinator")
def subscriber_list():
    db = get_db()
    return render_template("outreach/subscribers.html", subscribers=mail.subscribers(db),
                           counts=mail.outbox_counts(db),
                           relay=current_app.config.get("SMTP_HOST"))


def _wake():
    worker = current_app.extensions.get("mail_worker")
    if worker:
        worker.wake()
