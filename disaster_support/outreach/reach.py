"""What reached whom: a notice's reach against the languages present in its area.

Counted: a tablet's "posted on the wall" (one per notice and place), views of the
boards and of the short link's page as counters per notice × place × language × hour
(nothing about the reader: no address, no cookie beyond the language they chose).
A notice's reach lists, per language present in its area (people by the places' head
counts), its text's state, views, places where it is posted; a language with people
and no view for GAP_HOURS is flagged.
"""

import datetime

from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..vocabulary import languages

GAP_HOURS = 6
SHORT_LINK = ""  # the place of a view through the short link (/n/<id>/<tag>)


def _hour(at=None):
    moment = datetime.datetime.fromisoformat(at or utcnow())
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H")


def count_views(db, notice_ids, place, language, at=None):
    """One view of these notices at ``place`` in ``language`` (a board shown)."""
    if not notice_ids:
        return
    hour = _hour(at)
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO notice_view (notice_id, place, language, hour, views) "
            "VALUES (?, ?, ?, ?, 1) ON CONFLICT (notice_id, place, language, hour) "
            "DO UPDATE SET views = views + 1",
            [(notice_id, place, language, hour) for notice_id in notice_ids])


def confirm_posted(db, notice_id, shelter_id, *, actor, at=None):
    """A tablet says the notice is on the wall of its place; once (True if new)."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT OR IGNORE INTO notice_posting (notice_id, shelter_id, posted_at, "
            "posted_by) VALUES (?, ?, ?, ?)", [notice_id, shelter_id, at or utcnow(),
                                               actor.name])
        return cursor.rowcount == 1


def posted_at(db, shelter_id):
    """{notice id: when it was posted} at one place."""
    return dict(db.execute("SELECT notice_id, posted_at FROM notice_posting "
                           "WHERE shelter_id = ?", [shelter_id]).fetchall())


def reach(db, notice, texts, now=None):
    """[{language, people, complete, views, recent_views, last_view, posted, gap}] for
    every language with people in the area or with views, the most people first.
    ``texts``: the notice in each language (notices.render.render_all)."""
    now = now or utcnow()
    people = notices.people_by_language(db, notice)
    since = _hour((datetime.datetime.fromisoformat(now)
                   - datetime.timedelta(hours=GAP_HOURS)).isoformat())
    views = {tag: (total, recent, last) for tag, total, recent, last in db.execute(
        "SELECT language, sum(views), sum(CASE WHEN hour >= ? THEN views ELSE 0 END), "
        "max(hour) FROM notice_view WHERE notice_id = ? GROUP BY language",
        [since, notice["id"]])}
    posted = db.execute("SELECT count(*) FROM notice_posting WHERE notice_id = ?",
                        [notice["id"]]).fetchone()[0]
    rows = []
    for tag in languages():
        if not people.get(tag) and tag not in views:
            continue
        total, recent, last = views.get(tag, (0, 0, None))
        complete = not texts[tag].needs_translation
        rows.append({"language": tag, "people": people.get(tag, 0), "complete": complete,
                     "views": total, "recent_views": recent,
                     "last_view": f"{last}:00:00+00:00" if last else None,
                     "posted": posted,
                     "gap": bool(people.get(tag)) and (not recent or not complete)})
    return sorted(rows, key=lambda r: (-r["people"], list(languages()).index(r["language"])))


def places_posted(db, notice_id):
    return [dict(r) for r in db.query(
        "SELECT p.shelter_id, s.name, p.posted_at FROM notice_posting p JOIN shelter s "
        "ON s.id = p.shelter_id WHERE p.notice_id = ? ORDER BY p.posted_at", [notice_id])]
