"""The map libraries, served by the app at pinned versions with their licences.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; a map here
loads only what is listed below, from the xstatic packages PyPI installs.
"""

from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import url_for


@dataclass(frozen=True)
class Library:
    name: str
    package: str
    module: object
    licence: str  # a file in static/licences/
    licence_name: str
    homepage: str

    @property
    def version(self):
        return self.module.VERSION

    @property
    def folder(self):
        return Path(self.module.BASE_DIR)

    def url(self, filename):
        return url_for("maps.vendor", library=self.name, version=self.version,
                       filename=filename)


LIBRARIES = {
    library.name: library for library in (
        Library("leaflet", "XStatic-Leaflet", xstatic.pkg.leaflet, "leaflet.txt",
                "BSD-2-Clause", "leafletjs.com"),
        Library("leaflet.markercluster", "XStatic-Leaflet-MarkerCluster",
                xstatic.pkg.leaflet_markercluster, "leaflet.markercluster.txt", "MIT",
                "github.com/Leaflet/Leaflet.markercluster"),
    )
}


def leaflet_js():
    return [("leaflet", LIBRARIES["leaflet"].url("leaflet.js"))]


def leaflet_css():
    return [("leaflet_css", LIBRARIES["leaflet"].url("leaflet.css"))]


def markercluster_js():
    return [("markercluster", LIBRARIES["leaflet.markercluster"].url(
        "leaflet.markercluster.js"))]


def markercluster_css():
    library = LIBRARIES["leaflet.markercluster"]
    return [("markercluster_css", library.url("MarkerCluster.css"))]


@cache
def installed():
    """(library, package version) for the about page (read once per process)."""
    return tuple((library, metadata.version(library.package)) for library in LIBRARIES.values())
