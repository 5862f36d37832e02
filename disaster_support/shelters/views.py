"""Shelter pages: the list with filters, a shelter's page, its update form."""

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..accounts.access import access, current
from ..db import get_db
from ..parameters import integer_arg
from ..text import _l
from ..vocabulary import languages
from . import registry

bp = Blueprint("shelters", __name__, url_prefix="/shelters")

PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # far past the last page; the offset stays an SQLite integer


def shelter_or_404(shelter_id):
    """The shelter of a page's URL (for every blueprint), or the 404 page."""
    try:
        return registry.get_shelter(get_db(), shelter_id)
    except registry.ShelterNotFound:
        abort(404)


# --- Names people can read, for every page (boards, posters, maps, /me) -----------

@bp.app_template_global()
def place_name_html(shelter, tag):
    """The Japanese name of a place: with furigana from the registry's reading for
    Easy Japanese, plain for everyone else."""
    return registry.japanese_name_html(shelter.get("name"), shelter.get("name_kana"), tag)


@bp.app_template_global()
def place_latin_names(shelter, tag):
    """(English name, romaji) for a reader of ``tag``; None where not for them."""
    return registry.latin_names(shelter, tag)


@bp.app_template_global()
def place_of(shelter_id):
    """A shelter by ID (read once per request), or None."""
    if not shelter_id:
        return None
    cache = g.setdefault("places_read", {})
    if shelter_id not in cache:
        try:
            cache[shelter_id] = registry.get_shelter(get_db(), shelter_id)
        except registry.ShelterNotFound:
            cache[shelter_id] = None
    return cache[shelter_id]


@bp.app_template_global()
def city_ward_html(tag, ward_id=None):
    """The city and the ward as the reader of ``tag`` reads them: 相模原市 中央区;
    in Easy Japanese with furigana (さがみはらし, ちゅうおうく); Chuo-ku,
    Sagamihara for readers of other languages."""
    city = current_app.extensions["city"]
    ward = city.ward(ward_id) if ward_id else None
    if tag == registry.EASY:
        parts = [registry.ruby_html(city.name("ja"), city.reading())]
        if ward:
            parts.append(registry.ruby_html(ward.names["ja"], ward.names.get("ja-Hrkt")))
        return Markup(" ").join(parts)
    if tag == "ja":
        return escape(" ".join(filter(None, (city.name("ja"), ward and ward.name("ja")))))
    return escape(", ".join(filter(None, (ward and ward.name(tag), city.name(tag)))))


def parse_choices(args, choices, labels):
    """Query-string values checked against their choices: (filters, errors); a value
    that is not a choice is reported by its field's name and not used."""
    filters, errors = {}, {}
    for key, allowed in choices.items():
        value = args.get(key, "").strip()
        if not value:
            continue
        if value in allowed:
            filters[key] = value
        else:
            errors[key] = _l("%(field)s: “%(value)s” is not one of the choices.",
                             field=labels[key], value=value)
    return filters, errors


def parse_filters(args, city):
    """Filters from a query string; unknown values are reported, not used."""
    choices = {
        "ward": {w.id for w in city.wards},
        "status": set(registry.STATUSES),
        "kind": set(registry.KINDS),
        "language": set(languages()),
        "fact": set(registry.FACTS),
        "sort": set(registry.SORTS),
    }
    labels = {
        "ward": _l("Ward"), "status": _l("Status"), "kind": _l("Type"),
        "language": _l("Language of foreign evacuees"), "fact": _l("Facility"),
        "sort": _l("Sort by"),
    }
    filters, errors = parse_choices(args, choices, labels)
    q = args.get("q", "").strip()
    if q:
        filters["q"] = q[:100]
    return filters, errors


@bp.get("/")
@access("staff")
def index():
    city = current_app.extensions["city"]
    filters, errors = parse_filters(request.args, city)
    filters["only"] = current().shelters
    page = integer_arg(request.args, "page", _l("Page"), errors, default=1, low=1,
                       high=MAX_PAGE)
    rows = registry.list_shelters(get_db(), **filters, limit=PAGE_SIZE + 1,
                                  offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "shelters/index.html", shelters=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
        page=page, filters=filters, errors=errors, city=city,
        statuses=registry.STATUSES, kinds=registry.KINDS, facts=registry.FACTS,
        languages=languages(),
    ), 400 if errors else 200


def _detail(shelter_id, errors=None, form=None, status=200):
    db = get_db()
    try:
        shelter = registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        abort(404)
    return render_template(
        "shelters/detail.html", shelter=shelter, history=registry.shelter_history(db, shelter_id),
        city=current_app.extensions["city"], statuses=registry.STATUSES,
        kinds=registry.KINDS, hazards=registry.HAZARDS, facts=registry.FACTS,
        field_labels=registry.FIELD_LABELS, languages=languages(), errors=errors or {},
        form=form,
    ), status


@bp.get("/<shelter_id>")
@access("shelter")
def detail(shelter_id):
    return _detail(shelter_id)


def form_values(form):
    """The update form's fields as raw values for ``registry.update_shelter``; the
    name fields only when the form has them (a coordinator's form)."""
    values = {key: form.get(key, "") for key in ("status", "capacity", "evacuees")}
    for key in registry.NAME_FIELDS:
        if key in form:
            values[key] = form.get(key, "")
    values["languages"] = {tag: form.get(f"lang-{tag}", "") for tag in languages()}
    values["staff_languages"] = form.getlist("staff_languages")
    for fact in registry.FACTS:
        values[fact] = form.get(fact, "")
    return values


@bp.post("/<shelter_id>")
@access("shelter")
def update(shelter_id):
    values = form_values(request.form)
    principal = current()
    if not principal.is_coordinator and any(k in values for k in registry.NAME_FIELDS):
        return _detail(shelter_id, errors={k: _l(
            "%(field)s: only a coordinator can change the names.",
            field=registry.NAME_FIELDS[k]) for k in registry.NAME_FIELDS if k in values},
            form=request.form, status=403)
    try:
        changes = registry.update_shelter(get_db(), shelter_id, values,
                                          actor=principal.actor("form"),
                                          names=principal.is_coordinator)
    except registry.ShelterNotFound:
        abort(404)
    except registry.ValidationError as exc:
        return _detail(shelter_id, errors=exc.errors, form=request.form, status=400)
    if changes:
        flash(_("Saved: %(count)s change(s).", count=len(changes)), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("shelters.detail", shelter_id=shelter_id))
