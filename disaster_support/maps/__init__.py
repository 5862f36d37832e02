"""Maps of shelters, needs and volunteers that work with no internet.

Leaflet and its plugins come from PyPI's xstatic packages and are served by the
app; the ward boundaries are the base layer; base map tiles are optional and come
from a local MBTiles file. folium composes the map, a small script fills it.
"""
