"""Compose a map with folium, on the app's own assets.

folium writes the Leaflet map, the ward layer, the (empty) marker layers, the
layer control and the initial view; static/js/map.js then fills the layers from
the page's JSON, so that popups and markers cost the HTML a row of data each
rather than a block of script.
"""

from dataclasses import dataclass

import folium
from branca.element import CssLink, JavascriptLink, MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import Markup

from . import assets

WARD_STYLE = {"color": "#37474f", "weight": 2, "opacity": 0.9, "fillColor": "#eceff1",
              "fillOpacity": 0.35}
CLUSTER_OPTIONS = {"chunkedLoading": True, "showCoverageOnHover": False,
                   "maxClusterRadius": 45, "spiderfyOnMaxZoom": True}


@dataclass(frozen=True)
class RenderedMap:
    head: Markup  # <script> and <link> elements of the libraries
    body: Markup  # the map's element
    script: Markup  # folium's script (the page adds its CSP nonce)


class MapStart(MacroElement):
    """Hands folium's layers to DisasterMap.start (static/js/map.js)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        DisasterMap.start({{ this.kind|tojson }}, {
            map: {{ this._parent.get_name() }},
            {%- for key, layer in this.layers.items() %}
            {{ key }}: {{ layer.get_name() }},
            {%- endfor %}
            control: {{ this.control.get_name() }}
        });
        {% endmacro %}
    """)

    def __init__(self, kind, layers, control):
        super().__init__()
        self._name = "MapStart"
        self.kind = kind
        self.layers = layers
        self.control = control


def _layer_name(text):
    """Leaflet's layer control sets a layer's name as HTML: give it the text escaped."""
    return str(Markup.escape(text))


def _cluster(name, show=True):
    cluster = MarkerCluster(name=_layer_name(name), show=show, options=CLUSTER_OPTIONS)
    # Per instance: folium's asset lists are class attributes, shared by every map.
    cluster.default_js = assets.markercluster_js()
    cluster.default_css = assets.markercluster_css()
    return cluster


def bounds_of(features):
    """[[south, west], [north, east]] of GeoJSON polygons."""
    xs, ys = [], []

    def walk(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            xs.append(coordinates[0])
            ys.append(coordinates[1])
        else:
            for part in coordinates:
                walk(part)

    for feature in features:
        walk(feature["geometry"]["coordinates"])
    return [[min(ys), min(xs)], [max(ys), max(xs)]] if xs else None


def build_map(kind, *, city, tag, labels, tiles=None, tile_url=None, fit_city=True):
    """The map of ``kind`` ("coordinator" or "public") as parts of a page.

    ``labels`` names the layers in the viewer's language; ``tiles`` is an
    optional TileSet served at ``tile_url`` ({z}/{x}/{y} placeholders).
    ``fit_city=False`` leaves the view to the page's data (static/js/map.js fits
    it to a page's own places, such as a volunteer's shelter).
    """
    # The map's own zoom range (folium's min_zoom/max_zoom only reach a tile layer).
    m = folium.Map(location=list(city.center), zoom_start=11, tiles=None,
                   control_scale=True, **{"minZoom": 5, "maxZoom": 18, "zoomSnap": 0.25})
    m.default_js = assets.leaflet_js()
    m.default_css = assets.leaflet_css()
    if tiles is not None:
        extent = {}
        if tiles.bounds:  # no requests where the file has no tiles
            west, south, east, north = tiles.bounds
            extent["bounds"] = [[south, west], [north, east]]
        folium.TileLayer(
            tiles=tile_url, name=_layer_name(labels["base_map"]),
            attr=Markup.escape(tiles.attribution),
            min_zoom=tiles.min_zoom, max_native_zoom=tiles.max_zoom, max_zoom=18, **extent,
        ).add_to(m)
    features = [
        {**f, "properties": {"ward": f["properties"]["ward"],
                             "label": city.ward(f["properties"]["ward"]).name(tag)
                             if f["properties"]["ward"] else ""}}
        for f in city.boundary_features()
    ]
    layers = {}
    if features:
        layers["wards"] = folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=_layer_name(labels["wards"]),
            style_function=lambda feature: WARD_STYLE).add_to(m)
    layers["shelters"] = _cluster(labels["shelters"]).add_to(m)
    if kind == "coordinator":
        layers["needs"] = _cluster(labels["needs"], show=False).add_to(m)
        layers["volunteers"] = folium.FeatureGroup(name=_layer_name(labels["volunteers"]),
                                                   show=False).add_to(m)
    control = folium.LayerControl(collapsed=kind != "coordinator").add_to(m)
    start = MapStart(kind, layers, control)
    m.add_child(start)
    bounds = bounds_of(features)
    if bounds and fit_city:
        m.fit_bounds(bounds)

    figure = m.get_root()
    figure.render()
    # Only the library links from folium's header: its inline styles and meta
    # tags are for a page of its own, and would break the page's CSP.
    head = "\n".join(child.render() for child in figure.header._children.values()
                     if isinstance(child, (JavascriptLink, CssLink)))
    return RenderedMap(head=Markup(head), body=Markup(figure.html.render()),
                       script=Markup(figure.script.render()))
