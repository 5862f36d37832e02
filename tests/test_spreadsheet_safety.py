"""No CSV the app writes makes a spreadsheet run what someone typed (OWASP "CSV
injection"): text that would start a formula is shown with a leading apostrophe, as
written; numbers stay numbers; the HXL exports stay valid HXL."""

import csv
import io
from pathlib import Path

import hxl
import pytest

from disaster_support.audit.log import Actor
from disaster_support.drills.report import CSV_FIELDS, banner_row, report_csv
from disaster_support.exports import hxl as exports
from disaster_support.needs import records as needs
from disaster_support.shelters import registry
from disaster_support.spreadsheet import cell, csv_text

from conftest import GSI_SHELTERS, GSI_SITES, KAMIMIZO
from test_interop import SCHEMA_RULES, parse

ACTOR = Actor("test", "admin", "test")
# What spreadsheet programs take for the start of a formula (OWASP), written out here
# rather than taken from the code under test.
RUNS_AS_FORMULA = ("=", "+", "-", "@", "\t", "\r")
LINK = '=HYPERLINK("http://evil.example/","Click")'


def cells(text):
    return [value for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")))
            for value in row]


def formulas(text):
    """The cells of a CSV text that a spreadsheet would run."""
    return [value for value in cells(text) if value.startswith(RUNS_AS_FORMULA)]


@pytest.mark.parametrize("value, shown", [
    ("=1+2", "'=1+2"),
    ("+81 90 0000 0000", "'+81 90 0000 0000"),
    ("-3", "'-3"),                      # text, e.g. a shelter ID: it is what was typed
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("上溝中学校", "上溝中学校"),
    ("#affected+num+foreign+lang_zh_hans", "#affected+num+foreign+lang_zh_hans"),
    ("1+2", "1+2"),
    ("", ""),
    (-3, -3),                           # a number the code computed stays a number
    (-139.5, -139.5),
    (None, None),
])
def test_a_cell_that_would_start_a_formula_is_shown_as_text(value, shown):
    assert cell(value) == shown


def test_numbers_stay_numbers_and_no_value_starts_a_cell_of_its_own():
    text = csv_text([[-3, -139.5, "-3", 'x,=1+2', 'a"b\n=1+2']])
    assert text.splitlines()[0] == "-3,-139.5,'-3,\"x,=1+2\",\"a\"\"b"
    # a comma, a quote or a line break inside a value keeps it one cell
    assert cells(text) == ["-3", "-139.5", "'-3", "x,=1+2", 'a"b\n=1+2']
    assert csv_text([["a"]], bom=True) == "\ufeffa\r\n"


@pytest.fixture
def crafted(cli, app, people, db):
    """An open-data file names Kamimizo with a formula and gives a place the ID =1+2;
    Kamimizo is open with a need, and the =1+2 place was updated (an audit entry)."""
    source = GSI_SHELTERS.read_text(encoding="utf-8")
    quoted = '"' + LINK.replace('"', '""') + '"'
    source = source.replace(",上溝中学校,", f",{quoted},", 1).replace(
        "E1415000006111", "=1+2", 1)
    path = Path(app.instance_path) / "crafted.csv"
    path.write_text(source, encoding="utf-8")
    assert cli("import-shelters", str(path), str(GSI_SITES)).exit_code == 0
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    registry.update_shelter(db, "=1+2", {"status": "open"}, actor=ACTOR)
    needs.record_need(db, KAMIMIZO, {"client_id": "csv-test-1", "category": "water",
                                     "language": "vi", "people": 2}, actor=ACTOR)
    return app


@pytest.mark.parametrize("url, shown", [
    ("/exports/shelters.csv", ["'=1+2", "'" + LINK]),
    ("/exports/shelters.csv?excel=1", ["'=1+2", "'" + LINK]),
    ("/exports/needs.csv", ["'" + LINK]),
    ("/exports/needs.csv?excel=1", ["'" + LINK]),
    ("/audit.csv", ["'=1+2"]),
])
def test_exports_show_typed_formulas_as_text(crafted, coordinator, url, shown):
    text = coordinator.get(url).get_data(as_text=True)
    assert formulas(text) == []
    assert set(shown) <= set(cells(text))


@pytest.mark.parametrize("excel", [False, True])
def test_the_hxl_export_with_neutralised_cells_is_still_valid_hxl(crafted, coordinator, db,
                                                                  excel):
    data = parse(coordinator.get("/exports/shelters.csv" + ("?excel=1" if excel else "")).data)
    tags = [tag for _, tag in exports.shelters(db, crafted.extensions["city"]).columns]
    assert [c.display_tag for c in data.columns] == tags  # the hashtag row untouched
    rows = {r.get("#loc+code"): r for r in data}
    assert rows[KAMIMIZO].get("#loc+name") == "'" + LINK
    assert 35 < float(rows["'=1+2"].get("#geo+lat")) < 36  # numbers are left as they are
    errors = []
    assert data.validate(schema=hxl.schema(SCHEMA_RULES), callback=errors.append), [
        (str(e.rule), e.value, e.message) for e in errors]


def test_the_drill_report_shows_typed_formulas_as_text():
    need = dict.fromkeys(CSV_FIELDS) | {"need": 7, "shelter": LINK, "language": "vi",
                                        "category": "water", "people": 2,
                                        "recorded_minute": 3.5, "status_at_end": "open"}
    text = report_csv({"drill": {"id": "20261201-090000-m7"}, "needs": [need]})
    assert text.startswith("\ufeffDRILL / 訓練 · 20261201-090000-m7\r\n")
    assert formulas(text) == []
    assert text.splitlines()[2].startswith('7,,"\'=HYPERLINK(""http://evil.example/""')


def test_the_drill_banner_is_one_cell_whatever_the_scenario_id():
    text = csv_text([banner_row("20261201-090000-a,=1+2")])
    assert cells(text) == ["DRILL / 訓練 · 20261201-090000-a,=1+2"]
