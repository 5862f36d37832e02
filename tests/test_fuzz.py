"""Property-based fuzzing, bounded and deterministic: the JSON API from its own OpenAPI
document (schemathesis), as a shelter's tablet and as the coordinator; the shelter,
volunteer and CAP importers with arbitrary and mutated files (hypothesis)."""

import csv
import io
import logging
from xml.sax.saxutils import escape

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance,
                                               status_code_conformance)

from disaster_support.accounts import users
from disaster_support.api import openapi_document
from disaster_support.audit.log import Actor
from disaster_support.notices import cap
from disaster_support.paths import STATIC_DIR
from disaster_support.shelters import registry
from disaster_support.shelters.importer import ShelterFileError, import_shelters
from disaster_support.shelters.registry import ValidationError
from disaster_support.volunteers import registry as volunteers

from conftest import GSI_SHELTERS, GSI_SITES, KAMIMIZO, KANAZAWA

ACTOR = Actor("test", "coordinator", "test")
# Fixed and seedless: the same examples on every run, whatever the clock says.
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=False,
                suppress_health_check=list(HealthCheck))


# --- The API, from its OpenAPI document ------------------------------------------------

@pytest.fixture(params=["tablet", "coordinator"])
def bearer(request, people, db):
    """A Kamimizo tablet's token, or a coordinator's API token."""
    if request.param == "tablet":
        return people["device_token"]
    return users.create_token(db, people["coordinator"], actor=ACTOR, label="fuzz")


@pytest.fixture
def opened(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "50"}, actor=ACTOR)
    return app


def test_the_fuzzed_document_is_the_one_the_api_serves(app):
    assert app.test_client().get("/api/v1/openapi.json").get_json() == openapi_document()


api = schemathesis.openapi.from_dict(openapi_document())


@api.parametrize()
@api.given(real=st.booleans())
@settings(FUZZ, max_examples=50)
def test_the_api_answers_as_documented_and_never_fails(case, real, opened, bearer, people,
                                                       caplog):
    if real:  # about half the cases reach a shelter and a need that exist
        aim_at_kamimizo(case, people["need"])
    # identity: schemathesis' in-process (WSGI) transport does not undo gzip as an HTTP
    # client does (tests/test_compression.py covers compressed answers)
    case.call_and_validate(
        app=opened, headers={"Authorization": f"Bearer {bearer}",
                             "Accept-Encoding": "identity"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance, negative_data_rejection])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-3000:]


def aim_at_kamimizo(case, need_id):
    """Kamimizo and its need for a case's ids, where they are of the documented type (a
    negative case that sends another type stays as it is)."""
    path = case.path_parameters or {}
    if isinstance(path.get("shelter_id"), str):
        path["shelter_id"] = KAMIMIZO
    if isinstance(path.get("need_id"), int):
        path["need_id"] = need_id
    if isinstance(case.body, dict) and isinstance(case.body.get("shelter_id"), str):
        case.body["shelter_id"] = KAMIMIZO


# --- The importers -----------------------------------------------------------------------

def head(path, lines):
    """The header and first rows of a real file: a small valid seed to mutate."""
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


SHELTER_SEEDS = {"gsi-shelters": head(GSI_SHELTERS, 4), "gsi-sites": head(GSI_SITES, 4),
                 "municipal": head(KANAZAWA, 4)}
VOLUNTEER_SEED = (STATIC_DIR / "templates" / "volunteers.csv").read_bytes()
CAP_SEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{cap.NS}"><identifier>KN-2026-0001</identifier>
<sender>bousai@pref.kanagawa.jp</sender><sent>2026-11-26T10:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType>
<scope>Public</scope>
<info><language>ja-JP</language><category>Health</category><event>感染症</event>
<headline>避難所での感染症予防</headline><description>手洗いをお願いします。</description></info>
<info><language>en-US</language><category>Health</category><event>Infection</event>
<headline>Preventing infections</headline><description>Please wash your hands.</description>
<instruction>Wear a mask.</instruction></info></alert>""".encode()

# What files hold where a number, a flag, a date or a name is expected, and worse.
ODD = ["", " ", "9" * 5000, "99999999999999999999", "-1", "1e400", "nan", "inf", "１２３", "²",
       "٣", "1,357人", "○", "×", "0001-01-01T00:00/0001-01-01T10:00", "vi:native; xx:native",
       "vi:", ":native", "\n", '"', "\x00", "\ufeff", "E1415000004111", "=1+1", "x" * 300,
       "y" * 140_000]
CELLS = st.one_of(st.sampled_from(ODD), st.text(max_size=40))


@st.composite
def mutated_csv(draw, seed):
    """A valid file with some cells (the header's too) replaced, rows dropped or doubled."""
    rows = list(csv.reader(io.StringIO(seed.decode("utf-8-sig"), newline="")))
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop", "double"]))
        if action == "cell":
            rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(CELLS)
        elif action == "drop" and len(rows) > 1:
            del rows[row]
        elif action == "double":
            rows.insert(row, list(rows[row]))
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


@st.composite
def mutated_bytes(draw, seed):
    """A valid file with a few bytes overwritten, inserted or cut."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        chunk = draw(st.binary(min_size=1, max_size=4))
        kind = draw(st.sampled_from(["overwrite", "insert", "cut"]))
        if kind == "overwrite":
            data[at:at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = chunk
        else:
            del data[at:at + len(chunk)]
    return bytes(data)


def with_cell(seed, column, value):
    """The seed with the first row's cell in ``column`` replaced."""
    rows = list(csv.reader(io.StringIO(seed.decode("utf-8-sig"), newline="")))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def header(seed):
    return next(csv.reader(io.StringIO(seed.decode("utf-8-sig"))))


def files_like(*seeds, csv_file=True):
    mutations = [mutated_bytes(s) for s in seeds]
    if csv_file:
        mutations += [mutated_csv(s) for s in seeds]
    return st.one_of(st.binary(max_size=500),
                     st.text(max_size=300).map(str.encode),
                     *mutations)


def rows_of(db, *tables):
    return {t: db.execute(f"SELECT * FROM [{t}] ORDER BY rowid").fetchall() for t in tables}


@pytest.fixture
def city(app):
    return app.extensions["city"]


@given(data=files_like(*SHELTER_SEEDS.values()))
@settings(FUZZ, max_examples=200)
def test_the_shelter_importer_refuses_what_it_cannot_read_and_writes_nothing(db, city, data):
    before = rows_of(db, "shelter", "shelter_change", "audit")
    try:
        import_shelters(db, [("fuzz.csv", data)], city)
    except ShelterFileError:
        assert rows_of(db, "shelter", "shelter_change", "audit") == before


@pytest.mark.parametrize("seed, column", [
    pytest.param(seed, column, id=f"{layout}-{column}")
    for layout, seed in SHELTER_SEEDS.items() for column in header(seed)])
def test_any_odd_value_in_any_column_of_a_shelter_file_is_refused_or_imported(db, city, seed,
                                                                              column):
    for value in ODD:
        before = rows_of(db, "shelter", "shelter_change", "audit")
        try:
            import_shelters(db, [("odd.csv", with_cell(seed, column, value))], city)
        except ShelterFileError:
            assert rows_of(db, "shelter", "shelter_change", "audit") == before


@pytest.mark.parametrize("column", header(VOLUNTEER_SEED))
def test_any_odd_value_in_any_column_of_a_volunteer_file_is_refused_or_imported(db, city,
                                                                                column):
    tables = ("volunteer", "volunteer_language", "volunteer_skill", "volunteer_availability",
              "audit")
    for value in ODD:
        before = rows_of(db, *tables)
        try:
            volunteers.import_csv(db, with_cell(VOLUNTEER_SEED, column, value), actor=ACTOR,
                                  wards={w.id for w in city.wards})
        except ShelterFileError:
            assert rows_of(db, *tables) == before


@given(data=files_like(VOLUNTEER_SEED))
@settings(FUZZ, max_examples=200)
def test_the_volunteer_importer_refuses_what_it_cannot_read_and_writes_nothing(db, city,
                                                                               data):
    tables = ("volunteer", "volunteer_language", "volunteer_skill", "volunteer_availability",
              "audit")
    before = rows_of(db, *tables)
    try:
        volunteers.import_csv(db, data, actor=ACTOR, wards={w.id for w in city.wards})
    except ShelterFileError:
        assert rows_of(db, *tables) == before


# any text XML can hold (no control characters)
XML_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=400)


@st.composite
def cap_with_odd_texts(draw):
    """The seed alert with some element texts replaced (escaped: still XML)."""
    text = CAP_SEED.decode()
    for tag in draw(st.lists(st.sampled_from(["language", "category", "headline", "event",
                                              "description", "instruction", "identifier"]),
                             min_size=1, max_size=3)):
        value = escape(draw(XML_TEXT))
        start = text.index(f"<{tag}>") + len(tag) + 2
        text = text[:start] + value + text[text.index(f"</{tag}>", start):]
    return text.encode()


@given(data=st.one_of(files_like(CAP_SEED, csv_file=False), cap_with_odd_texts()))
@settings(FUZZ, max_examples=200)
def test_the_cap_importer_refuses_what_it_cannot_read_and_writes_nothing(db, data):
    tables = ("notice", "notice_translation", "audit")
    before = rows_of(db, *tables)
    try:
        cap.import_cap(db, data, actor=ACTOR)
    except ValidationError:  # CapError is one
        assert rows_of(db, *tables) == before


@pytest.mark.parametrize("encoding", ["shift_jis", "x-no-such-encoding"])
def test_a_cap_alert_in_an_encoding_expat_cannot_read_is_not_xml(db, encoding):
    """Found reading the parser: expat reads UTF-8, UTF-16 and single-byte encodings."""
    alert = CAP_SEED.replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())
    with pytest.raises(cap.CapError, match="Not an XML file"):
        cap.import_cap(db, alert, actor=ACTOR)
    assert db["notice"].count == 0
