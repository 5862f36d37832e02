"""The route map of a patrol pack: an SVG drawn here (printed packs and phones without
network load nothing from outside): the ward outlines, the route from the center
through the numbered stops and back."""

import math

from markupsafe import Markup, escape

WIDTH, HEIGHT, MARGIN = 640, 420, 24


def route_svg(start, stops, wards=(), label=""):
    """``start`` (lat, lon); ``stops`` [(number, lat, lon, name)] in visiting order;
    ``wards`` the city's Ward objects (their rings: (lon, lat) points)."""
    points = [start] + [(lat, lon) for _, lat, lon, _ in stops]
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    # a little room around the route, never a zero-size box for a single stop
    pad = 0.004
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(lons) - pad, max(lons) + pad
    squash = math.cos(math.radians((north + south) / 2))  # a degree of longitude is shorter
    scale = min((WIDTH - 2 * MARGIN) / ((east - west) * squash),
                (HEIGHT - 2 * MARGIN) / (north - south))

    def xy(lat, lon):
        return (round(MARGIN + (lon - west) * squash * scale, 1),
                round(HEIGHT - MARGIN - (lat - south) * scale, 1))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="route-map" role="img" aria-label="{escape(label)}">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff" stroke="#999"/>']
    for ward in wards:
        for polygon in ward.rings:
            ring = " ".join("%s,%s" % xy(lat, lon) for lon, lat in polygon[0])
            parts.append(f'<polygon points="{ring}" fill="none" stroke="#bbb" '
                         f'stroke-width="1"/>')
    tour = " ".join("%s,%s" % xy(lat, lon) for lat, lon in points + [start])
    parts.append(f'<polyline points="{tour}" fill="none" stroke="#0b5394" stroke-width="3" '
                 f'stroke-linejoin="round"/>')
    x, y = xy(*start)
    parts.append(f'<rect x="{x - 7}" y="{y - 7}" width="14" height="14" fill="#1b1b1b"/>')
    for number, lat, lon, name in stops:
        x, y = xy(lat, lon)
        parts.append(f'<g><title>{escape(name)}</title>'
                     f'<circle cx="{x}" cy="{y}" r="11" fill="#b2182b" stroke="#fff" '
                     f'stroke-width="2"/><text x="{x}" y="{y + 4.5}" text-anchor="middle" '
                     f'font-size="13" font-weight="bold" fill="#fff">{int(number)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
