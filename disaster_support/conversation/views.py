"""/shelters/<id>/talk: the conversation board of a shelter's tablet."""

import uuid

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from ..accounts.access import access
from ..shelters.views import shelter_or_404
from ..vocabulary import languages, need_categories
from . import speech
from .phrases import catalog

bp = Blueprint("conversation", __name__)


@bp.get("/shelters/<shelter_id>/talk")
@access("shelter")
def choose_language(shelter_id):
    shelter = shelter_or_404(shelter_id)
    known = languages()
    # the shelter's own languages first, then the rest; Japanese is the staff's side
    order = [t for t in shelter["languages"] if t in known] + [
        t for t in known if t not in shelter["languages"] and t != "ja"]
    return render_template("conversation/languages.html", shelter=shelter, order=order,
                           languages=known)


@bp.get("/shelters/<shelter_id>/talk/<tag>")
@access("shelter")
def start(shelter_id, tag):
    if tag not in languages():
        abort(404)
    first = catalog().sets[0].id
    return redirect(url_for("conversation.phrase_set", shelter_id=shelter_id, tag=tag,
                            set_id=first, **request.args))


@bp.get("/shelters/<shelter_id>/talk/<tag>/<set_id>")
@access("shelter")
def phrase_set(shelter_id, tag, set_id):
    shelter = shelter_or_404(shelter_id)
    phrases = catalog()
    known = languages()
    staff = request.args.get("staff", "ja")
    if tag not in known or staff not in known:
        abort(404)
    current = next((s for s in phrases.sets if s.id == set_id), None)
    if current is None:
        abort(404)
    listed = [phrases.phrases[p] for p in current.phrases]
    # one look for a voice per page (it runs the engine's voice list), not per phrase
    audio = {p.id: url_for("conversation.audio", tag=tag, phrase_id=p.id)
             for p in listed} if speech.voice(tag) else {}
    answers = {}
    for p in listed:
        if p.answers == "numbers":
            answers[p.id] = [(str(n), None) for n in range(1, 11)]
        elif p.answers:
            answers[p.id] = [(a, phrases.phrases[a]) for a in phrases.answer_lists[p.answers]]
    return render_template(
        "conversation/set.html", shelter=shelter, tag=tag, staff=staff, phrases=phrases,
        current=current, listed=listed, answers=answers, audio=audio, languages=known,
        categories=need_categories(),
        client_ids={p.id: uuid.uuid4().hex for p in listed if p.need},
        back=url_for("conversation.phrase_set", shelter_id=shelter_id, tag=tag, set_id=set_id,
                     staff=staff if staff != "ja" else None))


@bp.get("/talk/audio/<tag>/<phrase_id>.wav")
@access("public")
def audio(tag, phrase_id):
    phrases = catalog()
    if tag not in languages() or phrase_id not in phrases.phrases:
        abort(404)
    data = speech.speak(tag, phrases.text(tag, phrase_id))
    if data is None:
        abort(404)
    response = current_app.response_class(data, mimetype="audio/wav")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response
