"""Where a form or a sign-in may send the browser next: a path on this site, only."""

import re

# Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
# "/\t/evil.example/" or "/\\evil.example/" would leave the site like "//evil.example/".
_LOCAL = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def local_path(target, default):
    """``target`` if it is a path on this site, else ``default``."""
    return target if target and _LOCAL.fullmatch(target) else default
