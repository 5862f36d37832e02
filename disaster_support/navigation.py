"""The main menu of every page, drawn once per kind of page and kept.

It holds about 25 links and 20 translated labels; drawn anew it was a fifth of a
short page's time. What it shows depends only on the reader's language, their
role (and a patrol phone's team) and which page it is on, never on what anyone
typed, so it is kept under exactly those.
"""

from flask import current_app, render_template, request
from markupsafe import Markup

from .i18n import chosen_language

KEPT = 512  # languages × roles × endpoints in use: a few hundred at most


def main_nav(who):
    kept = current_app.extensions["main_nav"]
    key = (chosen_language(), who.role, who.patrol_team_id, request.endpoint,
           request.blueprint, request.script_root)
    html = kept.get(key)
    if html is None or current_app.debug:  # in debug, templates are edited
        if len(kept) >= KEPT:
            kept.clear()
        html = kept[key] = Markup(render_template("_nav.html", who=who))
    return html


def init_app(app):
    app.extensions["main_nav"] = {}
    app.jinja_env.globals["main_nav"] = main_nav
