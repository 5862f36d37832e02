"""Errors reach users as a page (or JSON under /api/) in their language.

No stack trace ever leaves the server: unexpected errors are logged and
answered with a plain 500 page.
"""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .parameters import InputError
from .text import _l

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in: this needs a valid account, tablet link or API token."),
    403: _l("You are not allowed to do this."),
    404: _l("There is no such page."),
    405: _l("This action is not possible here."),
    413: _l("The upload is too large."),
    500: _l("Something went wrong on the server. Nothing was changed. Please try again; "
            "if it happens again, tell the coordinator."),
}


def wants_json():
    # the API, and the pages' own fetches that ask for JSON (the change feed)
    return (request.path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json")


def render_error(status, message, errors=None):
    if wants_json():
        body = {"error": str(message)}
        if errors:
            body["errors"] = {k: str(v) for k, v in errors.items()}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _l("The form expired or did not come from this site. Reload the page and "
                     "try again: nothing was saved.")
        # the field lets a tablet's outbox know it may renew its token and retry
        return render_error(400, message, {"csrf_token": message})

    @app.errorhandler(InputError)
    def input_error(exc):
        return render_error(exc.status, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return render_error(exc.code, MESSAGES.get(exc.code, exc.name))

    @app.errorhandler(Exception)
    def unexpected_error(exc):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(500, MESSAGES[500])

    # Flask turns unhandled errors into InternalServerError with original_exception
    app.register_error_handler(InternalServerError, unexpected_error)


class TranslatedError(Exception):
    """An error whose message (a lazy string) is said in the reader's language
    when it is shown, not when it is raised."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)
