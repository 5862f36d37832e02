"""Shelter pages: the list with filters, a shelter's page, its update form."""

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..accounts.access import access, current
from ..db import get_db
from ..i18n import chosen_language
from ..parameters import integer_arg
from ..patrols import visits
from ..text import _l, read_once
from ..vocabulary import languages
from . import places, registry

bp = Blueprint("shelters", __name__, url_prefix="/shelters")

PAGE_SIZE = 50  # what a screen shows; more rows only cost time on a tablet
MAX_PAGE = 1_000_000  # far past the last page; the offset stays an SQLite integer


def shelter_or_404(shelter_id):
    """The shelter of a page's URL (for every blueprint), or the 404 page. A place
    merged into another: the same page of that one (printed QR codes keep working)."""
    db = get_db()
    try:
        return registry.get_shelter(db, shelter_id)
    except registry.ShelterNotFound:
        successor = places.current_id(db, shelter_id)
        if successor != shelter_id and request.method == "GET" and request.endpoint:
            arguments = {**(request.view_args or {}), "shelter_id": successor}
            abort(redirect(url_for(request.endpoint, **arguments, **request.args)))
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
        "group": set(places.GROUPS),
        "language": set(languages()),
        "fact": set(registry.FACTS),
        "sort": set(registry.SORTS),
    }
    labels = {
        "ward": _l("Ward"), "status": _l("Status"), "kind": _l("Type"), "group": _l("Where"),
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
    tag = chosen_language()
    return render_template(
        "shelters/index.html", shelters=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
        page=page, filters=filters, errors=errors, city=city,
        statuses=read_once(registry.STATUSES), kinds=read_once(registry.KINDS),
        facts=registry.FACTS, languages=languages(), groups=places.GROUP_LABELS,
        ward_names={w.id: w.name(tag) for w in city.wards},
        # one url_for for the page, not one per row
        detail_prefix=url_for("shelters.detail", shelter_id="-")[:-1],
    ), 400 if errors else 200


def _detail(shelter_id, errors=None, form=None, status=200, place_form=None):
    db = get_db()
    shelter = shelter_or_404(shelter_id)
    return render_template(
        "shelters/detail.html", shelter=shelter, history=registry.shelter_history(db, shelter_id),
        city=current_app.extensions["city"], statuses=registry.STATUSES,
        kinds=registry.KINDS, hazards=registry.HAZARDS, facts=registry.FACTS,
        field_labels=registry.FIELD_LABELS, languages=languages(), errors=errors or {},
        form=form, place_form=place_form, added_kinds=places.ADDED_KINDS,
        place_fields=places.PLACE_FIELDS, visits=visits.recent_visits(db, shelter_id),
        last_visit=visits.last_visit(db, shelter_id),
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


# --- Places the center adds, and merging two records of one place -------------------

def place_values(form):
    values = {key: form.get(key, "") for key in places.PLACE_FIELDS}
    values["languages"] = {tag: form.get(f"lang-{tag}", "") for tag in languages()}
    if not any(values["languages"].values()):
        del values["languages"]
    for key in registry.NAME_FIELDS:
        if form.get(key):
            values[key] = form[key]
    for fact in registry.FACTS:
        if form.get(fact):
            values[fact] = form[fact]
    return values


def _new_place_page(errors=None, form=None, status=200):
    return render_template(
        "shelters/new.html", errors=errors or {}, form=form or {}, kinds=registry.KINDS,
        added_kinds=places.ADDED_KINDS, fields=places.PLACE_FIELDS, facts=registry.FACTS,
        city=current_app.extensions["city"], statuses=registry.STATUSES,
        languages=languages()), status


@bp.get("/new")
@access("coordinator")
def new_place():
    return _new_place_page(form={"kind": request.args.get("kind", ""), "status": "open"})


@bp.post("/new")
@access("coordinator")
def create_place():
    try:
        place = places.create_place(get_db(), place_values(request.form),
                                    current_app.extensions["city"],
                                    actor=current().actor("form"))
    except registry.ValidationError as exc:
        return _new_place_page(errors=exc.errors, form=request.form, status=400)
    flash(_("Place added: %(name)s.", name=place["name"]), "success")
    return redirect(url_for("shelters.detail", shelter_id=place["id"]))


@bp.post("/<shelter_id>/place")
@access("coordinator")
def update_place(shelter_id):
    shelter_or_404(shelter_id)
    values = {k: request.form.get(k, "") for k in places.PLACE_FIELDS
              if k not in ("kind", "status", "evacuees")}
    try:
        changes = places.update_place(get_db(), shelter_id, values,
                                      current_app.extensions["city"],
                                      actor=current().actor("form"))
    except registry.ValidationError as exc:
        return _detail(shelter_id, errors=exc.errors, place_form=request.form, status=400)
    flash(_("Saved: %(count)s change(s).", count=len(changes)) if changes
          else _("Nothing changed."), "success" if changes else "info")
    return redirect(url_for("shelters.detail", shelter_id=shelter_id))


@bp.post("/<shelter_id>/merge")
@access("coordinator")
def merge_place(shelter_id):
    shelter_or_404(shelter_id)
    into = request.form.get("into", "").strip()[:40]
    try:
        target = places.merge_places(get_db(), shelter_id, into, actor=current().actor("form"))
    except registry.ValidationError as exc:
        return _detail(shelter_id, errors=exc.errors, status=400)
    flash(_("Merged into %(name)s: needs, visits and history moved.", name=target["name"]),
          "success")
    return redirect(url_for("shelters.detail", shelter_id=target["id"]))
