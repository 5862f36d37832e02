"""disaster_support: support for foreign evacuees during disasters."""

import hashlib
import os
import secrets
from pathlib import Path

from flask import Flask, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import compression, db, errors, formatting, i18n, navigation, validators
from .city import load_city
from .drills.runs import operational_database
from .parameters import DatabaseIdConverter
from .paths import SHELTERS_DIR, STATIC_DIR, default_instance_path

csrf = CSRFProtect()


def create_app(config=None, instance_path=None):
    """Build the application.

    ``instance_path`` (or DISASTER_SUPPORT_INSTANCE, or a per-user folder)
    holds the database, the secret key and backups; ``config`` overrides
    settings, e.g. in tests.
    """
    instance = Path(instance_path) if instance_path else default_instance_path()
    db.private_folder(instance)
    app = Flask(
        __name__,
        instance_path=str(instance.resolve()),
        instance_relative_config=True,
        static_folder=str(STATIC_DIR),
    )
    compression.init_app(app)  # first: it must run after every other after-request hook
    validators.init_app(app)  # then: it sees the finished page, before it is packed
    app.config.from_mapping(
        DATABASE=str(instance / "disaster_support.db"),
        CITY_DIR=str(SHELTERS_DIR),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # tablets stay on a page for hours
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DISASTER_SUPPORT")
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)

    database = db.connect(app.config["DATABASE"])
    try:
        db.migrate(database)
    finally:
        database.close()

    db.init_app(app, choose_database=operational_database)
    i18n.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    formatting.init_app(app)
    navigation.init_app(app)
    app.extensions["city"] = load_city(app.config["CITY_DIR"])

    from .accounts import access
    from .accounts.views import bp as accounts_bp
    from .api import bp as api_bp
    from .audit.views import bp as audit_bp
    from .claims.views import bp as claims_bp
    from .conversation.views import bp as conversation_bp
    from .desk.views import bp as desk_bp
    from .drills import views as drills
    from . import easy_japanese
    from .exports.views import bp as exports_bp
    from .home import bp as home_bp
    from .live.views import bp as live_bp
    from .maps import views as maps
    from .needs.views import bp as needs_bp
    from .notices.views import bp as notices_bp
    from .offline import bp as offline_bp
    from .intake.views import bp as intake_bp
    from .outreach.views import bp as outreach_bp
    from .translating.views import bp as translating_bp
    from .patrols.views import bp as patrols_bp
    from .reports.views import bp as reports_bp
    from .shelters.views import bp as shelters_bp
    from .volunteers.views import bp as volunteers_bp

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    access.init_app(app)
    maps.init_app(app)
    drills.init_app(app)
    easy_japanese.init_app(app)
    for blueprint in (home_bp, accounts_bp, shelters_bp, needs_bp, notices_bp, volunteers_bp,
                      maps.bp, offline_bp, drills.bp, exports_bp, conversation_bp, audit_bp,
                      live_bp, claims_bp, reports_bp, patrols_bp, desk_bp, intake_bp,
                      outreach_bp, translating_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens, or the CSRF header for cookies: see api.py
    # a mail program's one-click unsubscribe (RFC 8058) has no form token: the link's own
    # secret token is what authorises it
    csrf.exempt("disaster_support.outreach.views.unsubscribe")

    _static_versioning(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind the HTTPS proxy the README recommends: the client's address (sign-in
        # throttling, the audit log) and https (Secure cookies) come from its headers,
        # trusted only from that many proxies and only when configured.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies)
    return app


def _instance_secret_key(instance):
    """Generated on first start, kept in the instance folder, never in code."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _static_versioning(app):
    """``asset(path)`` gives a URL with a content hash, cached for a year."""
    hashes = {}

    urls = {}

    def asset(filename):
        key = (filename, request.script_root if request else "")
        if key not in urls or app.debug:
            data = (Path(app.static_folder) / filename).read_bytes()
            hashes[filename] = hashlib.sha256(data).hexdigest()[:12]
            urls[key] = url_for("static", filename=filename, v=hashes[filename])
        return urls[key]

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and request.args.get("v"):
            response.cache_control.public = True
            response.cache_control.max_age = 365 * 24 * 3600
            response.cache_control.immutable = True
        return response

    app.jinja_env.globals["asset"] = asset
