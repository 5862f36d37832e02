"""The city the tool serves: its name, wards and boundaries.

A city is described by ``city.json`` in its shelter data folder (``shelters/``
by default, ``CITY_DIR`` in the configuration), so another city adapts the tool
by editing data, not code.
"""

import csv
import functools
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Ward:
    id: str
    code: str
    names: dict
    rings: tuple = field(default=(), repr=False)  # polygons: (outer, *holes)

    def name(self, locale="ja"):
        if locale in self.names:
            return self.names[locale]
        if locale == "ja-x-easy" and "ja-Hrkt" in self.names:
            return self.names["ja-Hrkt"]  # Easy Japanese reads kana
        if locale.startswith("ja"):
            return self.names["ja"]
        return self.names.get("en") or self.names["ja"]

    def contains(self, lon, lat):
        return any(_polygon_contains(polygon, lon, lat) for polygon in self.rings)

    def centre(self):
        """(lat, lon) of the ward's largest polygon's centroid: where a place known
        only by its ward or district is drawn (marked approximate), or None."""
        best = None
        for polygon in self.rings:
            ring = polygon[0]
            area = cx = cy = 0.0
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
                cross = x0 * y1 - x1 * y0
                area += cross
                cx += (x0 + x1) * cross
                cy += (y0 + y1) * cross
            if area and (best is None or abs(area) > abs(best[0])):
                best = (area, cy / (3 * area), cx / (3 * area))
        return (round(best[1], 6), round(best[2], 6)) if best else None


@dataclass(frozen=True)
class City:
    folder: Path
    names: dict
    prefecture: str
    code: str
    center: tuple
    wards: tuple
    default_files: tuple
    attribution: str
    boundaries: str | None = None
    coordination_center: tuple | None = None  # (lat, lon) of the disaster prevention center
    place_names_file: str | None = None  # readings, romaji and English names (a CSV)
    # JMA's codes for it (intake/jma.py)
    jma: dict = field(default_factory=dict, repr=False, hash=False, compare=False)

    def boundary_features(self):
        """The ward boundaries as GeoJSON features, each with its ward's id."""
        if not self.boundaries:
            return []
        with open(self.folder / self.boundaries, encoding="utf-8") as f:
            features = json.load(f)["features"]
        by_code = {w.code: w for w in self.wards}
        return [{**f, "properties": {**f["properties"], "ward": by_code[str(
                    f["properties"]["code"])].id if str(f["properties"]["code"]) in by_code
                    else None}} for f in features]

    def name(self, locale="ja"):
        if locale in self.names:
            return self.names[locale]
        if locale.startswith("ja"):  # Easy Japanese writes 相模原市 (with furigana in HTML)
            return self.names["ja"]
        return self.names.get("en") or self.names["ja"]

    def reading(self):
        """The city's name in kana (さがみはらし), or None."""
        return self.names.get("ja-Hrkt")

    def place_names(self):
        """{place id: {"name_kana", "name_romaji", "name_en"}} from the city's
        place-names file (empty without one); see ``read_place_names``."""
        if not self.place_names_file:
            return {}
        return read_place_names(self.folder / self.place_names_file)

    def ward(self, ward_id):
        return next((w for w in self.wards if w.id == ward_id), None)

    def ward_for(self, address, lat, lon):
        """The ward named in the address, else the ward containing the point."""
        text = normalise_text(address or "")
        for ward in self.wards:
            if ward.names["ja"] and self.names["ja"] + ward.names["ja"] in text:
                return ward.id
        if lat is not None and lon is not None:
            for ward in self.wards:
                if ward.contains(lon, lat):
                    return ward.id
        return None

    def is_outside(self, address, municipality, lat, lon):
        """True when a place lies in another municipality.

        The address decides when there is one (the open data's own words);
        then the municipality code; then the ward boundaries.
        """
        text = normalise_text(address or "")
        if text:
            return self.names["ja"] not in text
        if municipality:
            return municipality[:5] != self.code[:5]
        if lat is not None and lon is not None and self.wards:
            return not any(w.contains(lon, lat) for w in self.wards)
        return False


@functools.cache
def read_place_names(path):
    """The place-names file: one row per place id of the open data, with its kana
    reading, its name in Latin letters and in English, where the reading comes
    from and whether a person has checked it ("draft" until then)."""
    names = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            place = (row.get("id") or "").strip()
            if place:
                names[place] = {k: (row.get(k) or "").strip() or None
                                for k in ("name_kana", "name_romaji", "name_en")}
    return names


def normalise_text(text):
    return unicodedata.normalize("NFKC", text)


@functools.cache
def load_city(folder):
    folder = Path(folder)
    with open(folder / "city.json", encoding="utf-8") as f:
        data = json.load(f)
    rings_by_code = {}
    boundaries = data.get("boundaries")
    if boundaries:
        with open(folder / boundaries, encoding="utf-8") as f:
            for feature in json.load(f)["features"]:
                code = str(feature["properties"]["code"])
                rings_by_code[code] = _polygons(feature["geometry"])
    wards = tuple(
        Ward(id=w["id"], code=str(w["code"]), names=w["name"],
             rings=rings_by_code.get(str(w["code"]), ()))
        for w in data.get("wards", [])
    )
    return City(
        folder=folder,
        names=data["name"],
        prefecture=data.get("prefecture", ""),
        code=str(data["code"]),
        center=tuple(data["center"]),
        wards=wards,
        default_files=tuple(data.get("shelter_files", [])),
        attribution=data.get("attribution", ""),
        boundaries=boundaries,
        coordination_center=tuple(data["coordination_center"]["location"])
        if data.get("coordination_center") else None,
        place_names_file=data.get("place_names"),
        jma=data.get("jma", {}),
    )


def _polygons(geometry):
    if geometry["type"] == "Polygon":
        return (tuple(tuple(map(tuple, ring)) for ring in geometry["coordinates"]),)
    if geometry["type"] == "MultiPolygon":
        return tuple(
            tuple(tuple(map(tuple, ring)) for ring in polygon)
            for polygon in geometry["coordinates"]
        )
    raise ValueError(f"unsupported geometry {geometry['type']}")


def _ring_contains(ring, x, y):
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _polygon_contains(polygon, x, y):
    outer, *holes = polygon
    return _ring_contains(outer, x, y) and not any(_ring_contains(h, x, y) for h in holes)


# --- Deriving a city's ward layer from national boundary data -----------------

def simplify_ring(points, tolerance):
    """Douglas-Peucker simplification of a closed ring (degrees)."""
    if len(points) <= 4:
        return list(points)
    kept = _douglas_peucker(points, tolerance)
    if kept[0] != kept[-1]:
        kept.append(kept[0])
    return kept if len(kept) >= 4 else list(points)


def _douglas_peucker(points, tolerance):
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        start, end = stack.pop()
        (x1, y1), (x2, y2) = points[start][:2], points[end][:2]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        farthest, index = 0.0, None
        for i in range(start + 1, end):
            px, py = points[i][:2]
            if norm == 0:
                d = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            else:
                d = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
            if d > farthest:
                farthest, index = d, i
        if index is not None and farthest > tolerance:
            keep[index] = True
            stack.append((start, index))
            stack.append((index, end))
    return [list(p[:2]) for p, k in zip(points, keep) if k]


def build_ward_layer(sources, tolerance=0.0003, digits=5):
    """One FeatureCollection from N03-derived files, normalised and simplified.

    The source files differ in form (some carry only an ``id``, others N03
    properties); every output feature carries ``properties.code`` and
    ``properties.name``.
    """
    features = []
    for source in sources:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
        for feature in data["features"]:
            props = feature.get("properties") or {}
            code = str(props.get("N03_007") or feature.get("id") or Path(source).stem)
            geometry = feature["geometry"]
            polygons = (
                [geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            simplified = [
                [
                    [[round(x, digits), round(y, digits)] for x, y in
                     simplify_ring(ring, tolerance)]
                    for ring in polygon
                ]
                for polygon in polygons
            ]
            features.append({
                "type": "Feature",
                "properties": {"code": code, "name": props.get("N03_004", "")},
                "geometry": (
                    {"type": "Polygon", "coordinates": simplified[0]}
                    if len(simplified) == 1
                    else {"type": "MultiPolygon", "coordinates": simplified}
                ),
            })
    return {"type": "FeatureCollection", "features": features}
