"""Reviews of translations, and packs for translators working offline."""

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts.access import access, current
from ..db import get_db
from ..notices import records as notices
from ..notices.render import render
from ..parameters import whole_number
from ..shelters.registry import ValidationError
from ..vocabulary import languages
from . import packs, review

bp = Blueprint("translating", __name__)


def _refused(exc, to):
    for message in exc.errors.values():
        flash(str(message), "error")
    return redirect(to), 303


def _reviewed(action, back):
    try:
        action()
    except ValidationError as exc:
        return _refused(exc, back)
    flash(_("Reviewed: thank you."), "success")
    return redirect(back), 303


@bp.post("/notices/<int:notice_id>/translations/<language>/review")
@access("coordinator")
def review_notice(notice_id, language):
    try:
        return _reviewed(lambda: review.review_notice_translation(
            get_db(), notice_id, language, actor=current().actor("form")),
            url_for("notices.detail", notice_id=notice_id))
    except notices.NoticeNotFound:
        abort(404)


@bp.post("/translations/templates/<template_id>/<language>/review")
@access("coordinator")
def review_template(template_id, language):
    notice_id = whole_number(request.args.get("back", ""))
    back = url_for("notices.detail", notice_id=notice_id) if notice_id \
        else url_for("notices.translations")
    return _reviewed(lambda: review.review_template_text(
        get_db(), template_id, language, actor=current().actor("form")), back)


@bp.get("/translations/pack/<language>.xlf")
@access("coordinator")
def export_pack(language):
    if language not in languages():
        abort(404)
    db = get_db()

    def context_of(notice):
        original = render(notice, notice["source_language"], notices.names_for(db, [notice]))
        area = {"all": _("the whole city"), "wards": _("wards: %(list)s",
                                                        list=", ".join(notice["area"])),
                "shelters": ngettext("%(num)s place", "%(num)s places", len(notice["area"]))
                }[notice["area_kind"]]
        return f"#{notice['id']} {original.title} — {area}"

    data = packs.export_pack(db, language, context_of=context_of)
    return Response(data, mimetype="application/xliff+xml", headers={
        "Content-Disposition": f'attachment; filename="translations-{language}.xlf"'})


@bp.post("/translations/pack")
@access("coordinator")
def import_pack():
    back = url_for("notices.translations")
    upload = request.files.get("pack")
    try:
        if upload is None or not upload.filename:
            raise ValidationError({"pack": _("Choose the pack file (XLIFF).")})
        result = packs.import_pack(get_db(), upload.read(), actor=current().actor("form"),
                                   translator=request.form.get("translator"))
    except ValidationError as exc:
        return _refused(exc, back)
    flash(ngettext("Pack read: %(num)s notice translated, waiting for a review.",
                   "Pack read: %(num)s notices translated, waiting for a review.",
                   len(result["imported"])), "success")
    for unit, message in result["refused"].items():
        flash(_("%(unit)s: refused: %(problem)s", unit=unit, problem=message), "error")
    for unit, terms in result["flagged"].items():
        flash(_("%(unit)s: check the fixed terms: %(terms)s", unit=unit,
                terms=", ".join(terms)), "warning")
    return redirect(url_for("notices.translations", language=result["language"])), 303
