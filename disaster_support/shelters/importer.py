"""Import shelters from Japanese open data files.

Layouts:
- Digital Agency 自治体標準オープンデータセット 指定緊急避難場所一覧 (39 columns),
  with the variants seen in the wild (half-/full-width brackets in headers, a
  line break inside a header cell, an extra leading column such as ``_id``,
  capacities written as text like ``1,357人``);
- GSI 指定避難所データ (11 columns) and 指定緊急避難場所データ (17 columns),
  joined on the first 11 characters of 共通ID when both are given.

Encodings UTF-8, UTF-8 with BOM and Shift_JIS/CP932 are detected; any line
endings; quoted multi-line fields; full-width digits; hazard flags ``1``/``○``.

An import is all or nothing: every file is read and checked before anything is
written, then everything is written in one transaction. Re-importing updates by
ID and keeps what coordinators entered (status, head counts, a capacity they
corrected).
"""

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..audit.log import Actor
from ..audit.log import record as audit
from ..db import utcnow, write_transaction
from ..text import _l
from .registry import record_changes

HAZARD_KEYS = ("flood", "landslide", "storm_surge", "earthquake", "tsunami",
               "large_fire", "inland_flood", "volcano")

GSI_HAZARD_COLUMNS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波",
                      "大規模な火事", "内水氾濫", "火山現象")

GSI_SHELTER_COLUMNS = ("NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所",
                       "指定緊急避難場所との住所同一", "その他市町村長が必要と認める事項",
                       "受入対象者", "緯度", "経度", "備考")
GSI_SITE_COLUMNS = ("NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所",
                    *GSI_HAZARD_COLUMNS, "指定避難所との住所同一", "緯度", "経度", "備考")
MUNICIPAL_COLUMNS = (
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字",
    "所在地_全国地方公共団体コード", "町字ID", "所在地_連結表記", "所在地_都道府県",
    "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等(方書)", "緯度", "経度",
    "標高", "電話番号", "内線番号", "連絡先メールアドレス", "連絡先FormURL",
    "連絡先備考(その他、SNSなど)", "郵便番号", "市区町村コード", "地方公共団体名",
    *(f"災害種別_{c}" for c in GSI_HAZARD_COLUMNS),
    "指定避難所との重複", "想定収容人数", "対象となる町会・自治会", "URL", "画像",
    "画像_ライセンス", "備考",
)


@dataclass(frozen=True)
class Layout:
    id: str
    family: str  # what --format names
    columns: tuple
    required: tuple


LAYOUTS = (
    Layout("gsi-shelters", "gsi", GSI_SHELTER_COLUMNS,
           ("共通ID", "施設・場所名", "住所", "指定緊急避難場所との住所同一", "緯度", "経度")),
    Layout("gsi-sites", "gsi", GSI_SITE_COLUMNS,
           ("共通ID", "施設・場所名", "住所", *GSI_HAZARD_COLUMNS, "指定避難所との住所同一",
            "緯度", "経度")),
    Layout("municipal-standard", "municipal-standard", MUNICIPAL_COLUMNS,
           ("ID", "名称", "緯度", "経度")),
)
FORMATS = ("auto", "municipal-standard", "gsi")

# Fields that come from open data; ``capacity`` and the names people read (kana,
# romaji, English) are also edited by coordinators, whose correction a re-import keeps.
OPEN_DATA_FIELDS = ("kind", "emergency_site", "site_id", "name", "name_kana", "name_en",
                    "name_romaji", "municipality", "ward", "address", "lat", "lon", "capacity",
                    "hazards", "phone", "outside_city")


class ShelterFileError(ValueError):
    """A file that cannot be imported, with where and why."""

    def __init__(self, source, message, line=None, column=None):
        self.source, self.line, self.column, self.message = source, line, column, message
        super().__init__(str(self))

    def __str__(self):
        where = [self.source]
        if self.line is not None:
            where.append(str(_l("line %(line)s", line=self.line)))
        if self.column:
            where.append(str(_l("column %(column)s", column=self.column)))
        return ", ".join(where) + ": " + str(self.message)


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    without_coordinates: int = 0
    outside_city: int = 0
    files: list = field(default_factory=list)  # (name, layout id, encoding, rows)

    def as_dict(self):
        return {k: getattr(self, k) for k in
                ("new", "updated", "unchanged", "without_coordinates", "outside_city")}


# --- Reading -----------------------------------------------------------------

def read_source(path_or_url, timeout=30):
    """The bytes of a local file or of a URL (fetched with requests)."""
    text = str(path_or_url)
    if re.match(r"^https?://", text, re.I):
        import requests

        try:
            response = requests.get(text, timeout=timeout)
            response.raise_for_status()
        except requests.ConnectionError:
            raise ShelterFileError(text, _l(
                "cannot reach the server: is there a network connection? Download "
                "the file on another machine and import it from a local path."))
        except requests.Timeout:
            raise ShelterFileError(text, _l("no answer within %(seconds)s seconds.",
                                            seconds=timeout))
        except requests.RequestException as exc:
            raise ShelterFileError(text, _l("download failed (%(reason)s).", reason=exc))
        return text, response.content
    path = Path(text)
    try:
        return path.name, path.read_bytes()
    except FileNotFoundError:
        raise ShelterFileError(text, _l("no such file."))
    except OSError as exc:
        raise ShelterFileError(text, _l("cannot read the file (%(reason)s).",
                                        reason=exc.strerror))


def decode(name, data):
    """Text and encoding name: UTF-8 (with or without BOM), else CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:  # the mark says UTF-8: no Shift_JIS to try
            raise _undecodable(name, data, 3 + exc.start)
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "Shift_JIS (CP932)"
    except UnicodeDecodeError as exc:
        raise _undecodable(name, data, exc.start)


def _undecodable(name, data, position):
    return ShelterFileError(name, _l(
        "the file is neither UTF-8 nor Shift_JIS: save it as UTF-8 CSV."),
        line=data[:position].count(b"\n") + 1)


def normalise_header(cell):
    text = unicodedata.normalize("NFKC", cell)
    return re.sub(r"\s+", "", text)


def detect_layout(name, header, fmt="auto"):
    names = set(header)
    candidates = [l for l in LAYOUTS if fmt == "auto" or l.family == fmt]

    def score(layout):
        return len(names & set(layout.columns)) / len(layout.columns)

    best = max(candidates, key=score)
    if score(best) < 0.5 or not (names & {"共通ID", "ID"}) and score(best) < 0.8:
        raise ShelterFileError(name, _l(
            "unknown layout: expected the columns of the municipal standard "
            "指定緊急避難場所一覧 or of the GSI 指定避難所 / 指定緊急避難場所 files "
            "(found: %(found)s).", found=", ".join(header[:8])), line=1)
    # The GSI files differ by a few columns only: decide on those.
    if best.family == "gsi":
        site_markers = names & set(GSI_HAZARD_COLUMNS)
        best = LAYOUTS[1] if site_markers else LAYOUTS[0]
    missing = [c for c in best.required if c not in names]
    if missing:
        raise ShelterFileError(name, _l(
            "required column missing for the %(layout)s layout: %(columns)s.",
            layout=best.id, columns=", ".join(missing)), line=1, column=missing[0])
    return best


def read_rows(name, text, fmt="auto"):
    """Layout and rows (line number, dict) of one CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_cells = next(reader)
    except StopIteration:
        raise ShelterFileError(name, _l("the file is empty."), line=1)
    except csv.Error as exc:
        raise ShelterFileError(name, _l("broken CSV (%(reason)s).", reason=exc), line=1)
    header = [normalise_header(c) for c in header_cells]
    layout = detect_layout(name, header, fmt)
    rows = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < len(header):
                raise ShelterFileError(name, _l(
                    "the row has %(found)s fields, the header %(expected)s: the row is "
                    "truncated or a quote is missing.",
                    found=len(cells), expected=len(header)), line=start)
            if any(c.strip() for c in cells[len(header):]):
                raise ShelterFileError(name, _l(
                    "the row has %(found)s fields, the header %(expected)s.",
                    found=len(cells), expected=len(header)), line=start)
            rows.append((start, dict(zip(header, cells))))
    except csv.Error as exc:
        raise ShelterFileError(name, _l("broken CSV (%(reason)s).", reason=exc),
                               line=reader.line_num)
    return layout, rows


# --- Values ------------------------------------------------------------------

def _text(value):
    value = (value or "").strip()
    return value or None


def _digits_to_ascii(value):
    """Full-width digits and Latin letters to ASCII; Japanese text untouched."""
    if value is None:
        return None
    return value.translate(_FULLWIDTH)


_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_FULLWIDTH.update({0xFF21 + i: 0x41 + i for i in range(26)})
_FULLWIDTH.update({0xFF41 + i: 0x61 + i for i in range(26)})


def _coordinate(name, line, column, raw, low, high):
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ShelterFileError(name, _l("“%(value)s” is not a number.", value=raw),
                               line=line, column=column)
    if not low <= value <= high:
        raise ShelterFileError(name, _l("%(value)s is outside %(low)s to %(high)s.",
                                        value=text, low=low, high=high),
                               line=line, column=column)
    return value


_TRUE_FLAGS = {"1", "○", "〇", "◯", "●", "◎", "有", "あり", "true", "yes", "y"}
_FALSE_FLAGS = {"", "0", "×", "-", "ー", "無", "なし", "false", "no", "n"}


def _flag(name, line, column, raw):
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if text in _TRUE_FLAGS:
        return True
    if text in _FALSE_FLAGS:
        return False
    raise ShelterFileError(name, _l(
        "“%(value)s” is not a flag: write 1 or ○ for yes, leave empty for no.", value=raw),
        line=line, column=column)


# Wide-area evacuation sites (parks) hold hundreds of thousands; more is a slip.
MAX_CAPACITY = 10_000_000


def _capacity(name, line, raw):
    """People a place holds: ``1,357人``, ``約200名``, ``１２０`` → int; else None."""
    text = unicodedata.normalize("NFKC", raw or "").replace(",", "")
    match = re.search(r"\d+", text)
    if not match:
        return None
    digits = match.group().lstrip("0") or "0"
    if len(digits) > len(str(MAX_CAPACITY)) or int(digits) > MAX_CAPACITY:
        raise ShelterFileError(name, _l("%(value)s is outside %(low)s to %(high)s.",
                                        value=raw, low=0, high=MAX_CAPACITY),
                               line=line, column="想定収容人数")
    return int(digits)


def _municipality(code):
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not code.isdigit():
        return None
    return code.zfill(6) if len(code) in (5, 6) else code


def _gsi_kind(shelter_id, default):
    suffix = shelter_id[-3:]
    if suffix in ("111", "112"):
        return "designated_shelter"
    if suffix in ("121", "122"):
        return "welfare_shelter"
    if suffix in ("201", "202"):
        return "emergency_site"
    return default


def _record_id(name, line, column, raw):
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if not value:
        raise ShelterFileError(name, _l("the ID is empty."), line=line, column=column)
    return value


def parse_record(name, layout, line, row):
    """One row → the open-data fields of a place (plus join facts)."""
    get = row.get
    if layout.family == "gsi":
        shelter_id = _record_id(name, line, "共通ID", get("共通ID"))
        record = {
            "id": shelter_id,
            "name": _digits_to_ascii(_text(get("施設・場所名"))),
            "name_kana": None, "name_en": None, "name_romaji": None, "municipality": None,
            "address": _digits_to_ascii(_text(get("住所"))),
            "lat": _coordinate(name, line, "緯度", get("緯度"), -90, 90),
            "lon": _coordinate(name, line, "経度", get("経度"), -180, 180),
            "capacity": None, "phone": None,
        }
        if layout.id == "gsi-sites":
            record["kind"] = _gsi_kind(shelter_id, "emergency_site")
            record["emergency_site"] = 1
            record["hazards"] = [k for k, c in zip(HAZARD_KEYS, GSI_HAZARD_COLUMNS)
                                 if _flag(name, line, c, get(c))]
        else:
            default = "welfare_shelter" if _text(get("受入対象者")) else "designated_shelter"
            record["kind"] = _gsi_kind(shelter_id, default)
            record["emergency_site"] = 0
            record["hazards"] = []
    else:
        shelter_id = _record_id(name, line, "ID", get("ID"))
        address = _text(get("所在地_連結表記")) or "".join(
            filter(None, (_text(get(c)) for c in
                          ("所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下"))))
        overlap = _flag(name, line, "指定避難所との重複", get("指定避難所との重複"))
        record = {
            "id": shelter_id,
            "kind": "designated_shelter" if overlap else "emergency_site",
            "emergency_site": 1,
            "name": _digits_to_ascii(_text(get("名称"))),
            "name_kana": _text(get("名称_カナ")),
            "name_en": _text(get("名称_英字")),
            "name_romaji": None,
            "municipality": _municipality(get("所在地_全国地方公共団体コード")
                                          or get("全国地方公共団体コード")),
            "address": _digits_to_ascii(address or None),
            "lat": _coordinate(name, line, "緯度", get("緯度"), -90, 90),
            "lon": _coordinate(name, line, "経度", get("経度"), -180, 180),
            "capacity": _capacity(name, line, get("想定収容人数")),
            "phone": _text(get("電話番号")),
            "hazards": [k for k, c in zip(HAZARD_KEYS, GSI_HAZARD_COLUMNS)
                        if f"災害種別_{c}" in row and _flag(name, line, f"災害種別_{c}",
                                                         row[f"災害種別_{c}"])],
        }
    if not record["name"]:
        column = "施設・場所名" if layout.family == "gsi" else "名称"
        raise ShelterFileError(name, _l("the name is empty."), line=line, column=column)
    if (record["lat"] is None) != (record["lon"] is None):
        raise ShelterFileError(name, _l("give both latitude and longitude, or neither."),
                               line=line, column="緯度" if record["lat"] is None else "経度")
    record["site_id"] = None
    record["source"] = name
    return record


# --- Joining and writing -----------------------------------------------------

def _same_place(a, b):
    return (a.get("address") == b.get("address")
            and a.get("lat") == b.get("lat") and a.get("lon") == b.get("lon"))


def _belonging_site(shelter, sites):
    """The emergency-site row of a shelter: at the same place, else by name."""
    return next((s for s in sites if _same_place(s, shelter)), None) or next(
        (s for s in sites if shelter["name"] in s["name"]), None)


def _join_gsi(records):
    """Merge each GSI emergency-site record into the shelter it belongs to.

    The first 11 characters of 共通ID name the facility; one facility may have
    several site rows (e.g. a school and a branch office at the same address),
    so the site at the same place, then with a matching name, wins.
    """
    shelters = [r for r in records if r["kind"] != "emergency_site" and r["id"][0] == "E"]
    sites = {r["id"]: r for r in records if r["kind"] == "emergency_site"}
    for shelter in shelters:
        prefix = shelter["id"][:11]
        candidates = [s for s in sites.values() if s["id"][:11] == prefix]
        if not candidates:
            continue
        site = _belonging_site(shelter, candidates)
        if site is None:
            continue
        shelter.update(emergency_site=1, site_id=site["id"], hazards=site["hazards"])
        del sites[site["id"]]
    return [r for r in records if r["kind"] != "emergency_site" or r["id"] in sites]


def parse_sources(sources, fmt="auto"):
    """Read and check every (name, bytes) source; nothing is written."""
    if fmt not in FORMATS:
        raise ShelterFileError("--format", _l("choose one of: %(choices)s.",
                                              choices=", ".join(FORMATS)))
    records, files, seen = [], [], {}
    for name, data in sources:
        text, encoding = decode(name, data)
        layout, rows = read_rows(name, text, fmt)
        for line, row in rows:
            record = parse_record(name, layout, line, row)
            if record["id"] in seen:
                raise ShelterFileError(name, _l(
                    "ID %(id)s appears twice (first at %(first)s).",
                    id=record["id"], first=seen[record["id"]]), line=line)
            seen[record["id"]] = f"{name}:{line}"
            records.append(record)
        files.append((name, layout.id, encoding, len(rows)))
    return _join_gsi(records), files


def _existing(db, record):
    ids = [record["id"]] + ([record["site_id"]] if record.get("site_id") else [])
    marks = ", ".join("?" * len(ids))
    rows = list(db.query(
        f"SELECT * FROM shelter WHERE id IN ({marks}) OR site_id IN ({marks})", ids + ids))
    if rows:
        return rows[0]
    if record["id"][0] == "E" and len(record["id"]) == 14:
        # A GSI facility already known from the other file of the pair.
        site_record = record["kind"] == "emergency_site"
        others = [row for row in db.query(
            "SELECT * FROM shelter WHERE substr(id, 1, 11) = ? AND site_id IS NULL",
            [record["id"][:11]]) if (row["kind"] == "emergency_site") != site_record]
        if site_record:
            return next((row for row in others if _belonging_site(row, [record])), None)
        return _belonging_site(record, others)
    return None


def _merge_into(existing, record):
    """The fields an import may set on an existing place."""
    if existing["kind"] != "emergency_site" and record["kind"] == "emergency_site":
        # A site row for a known shelter adds what the site file knows.
        return {"emergency_site": 1, "site_id": record["id"], "hazards": record["hazards"]}
    if existing["kind"] == "emergency_site" and record["kind"] != "emergency_site" \
            and existing["id"] != record["id"]:
        # A shelter row for a place first known as an emergency site.
        return {**record, "emergency_site": 1, "site_id": existing["id"],
                "hazards": json.loads(existing["hazards"])}
    return record


IMPORTER = Actor("import", "admin", "import")


def import_shelters(db, sources, city, *, fmt="auto", actor=IMPORTER, progress=None):
    """Import (name, bytes) sources in one transaction; return an ImportReport.

    Raises ShelterFileError, naming the file, line and column, and writes
    nothing, when any file cannot be read.
    """
    records, files = parse_sources(sources, fmt)
    return write_records(db, records, files, city, actor=actor, progress=progress)


def write_records(db, records, files, city, *, actor=IMPORTER, progress=None):
    """Write parsed records (see ``parse_sources``) in one transaction."""
    report = ImportReport(files=files)
    now = utcnow()
    apply_place_names(records, city.place_names())
    with write_transaction(db):
        for record in records:
            record["ward"] = city.ward_for(record["address"], record["lat"], record["lon"])
            record["outside_city"] = int(city.is_outside(
                record["address"], record["municipality"], record["lat"], record["lon"]))
            existing = _existing(db, record)
            if existing is not None and not existing["official"]:
                # the city's list and the places the center added stay apart
                raise ShelterFileError(record["source"], _l(
                    "ID %(id)s belongs to a place the center added (%(name)s), not to the "
                    "city's list: nothing was imported.", id=record["id"],
                    name=existing["name"]))
            if existing is None:
                _insert(db, record, now, actor)
                report.new += 1
            elif _update(db, existing, _merge_into(existing, record), now, actor):
                report.updated += 1
            else:
                report.unchanged += 1
            if progress:
                progress(1)
        # Counted over the places this import touched, after joining.
        for record in records:
            report.without_coordinates += record["lat"] is None
            report.outside_city += record["outside_city"]
        audit(db, actor, "import", "shelter", after={
            **report.as_dict(), "files": [list(f) for f in files]}, at=now)
    return report


NAME_FIELDS = ("name_kana", "name_romaji", "name_en")
CORRECTABLE = ("capacity", *NAME_FIELDS)


def apply_place_names(records, names):
    """Fill each record's reading, romaji and English name from the city's
    place-names file (by its ID, else the ID of its joined emergency site).
    What the open data itself gives (名称_カナ, 名称_英字 of the municipal
    standard) takes precedence."""
    for record in records:
        found = names.get(record["id"]) or names.get(record.get("site_id") or "")
        if not found:
            continue
        for f in NAME_FIELDS:
            if not record.get(f) and found.get(f):
                record[f] = found[f]


def _column_value(field, value):
    return json.dumps(value, ensure_ascii=False) if field == "hazards" else value


def _insert(db, record, now, actor):
    values = {f: _column_value(f, record.get(f)) for f in OPEN_DATA_FIELDS if f in record}
    values.update(
        id=record["id"], source=record["source"], created_at=now, updated_at=now,
        updated_by=actor.name,
        open_data=json.dumps({f: record.get(f) for f in OPEN_DATA_FIELDS if f in record},
                             ensure_ascii=False),
    )
    columns = ", ".join(values)
    db.execute(f"INSERT INTO shelter ({columns}) VALUES ({', '.join(':' + c for c in values)})",
               values)
    record_changes(db, record["id"], [("created", None, record["name"])], actor=actor, at=now)


def _update(db, existing, incoming, now, actor):
    """Apply what changed in the open data; keep what coordinators changed."""
    previous = json.loads(existing["open_data"])
    opened = dict(previous)
    columns, changes = {}, []
    for f in OPEN_DATA_FIELDS:
        if f not in incoming:
            continue
        new = incoming[f]
        opened[f] = new
        current = existing[f]
        if f == "hazards":
            current = json.loads(current)
        if f in CORRECTABLE and f in previous and current != previous[f]:
            continue  # a coordinator corrected it: theirs wins
        if current != new:
            columns[f] = _column_value(f, new)
            changes.append((f, _as_text(current), _as_text(new)))
    if not columns and opened == previous:
        return False
    columns["open_data"] = json.dumps(opened, ensure_ascii=False)
    if changes:
        columns.update(updated_at=now, updated_by=actor.name,
                       source=incoming.get("source") or existing["source"])
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    db.execute(f"UPDATE shelter SET {assignments} WHERE id = :id",
               {**columns, "id": existing["id"]})
    record_changes(db, existing["id"], changes, actor=actor, at=now)
    return True


def _as_text(value):
    if value is None:
        return None
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
