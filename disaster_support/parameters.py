"""Request values read safely: integers SQLite can hold, strings where strings are
expected, JSON bodies that are objects of bounded depth holding valid Unicode.

Whatever a request carries, these answer with a message naming the field (or
raise InputError, which errors.py answers with 4xx), never with an exception
from Python or SQLite.
"""

import json

from werkzeug.routing import IntegerConverter

from .text import _l

# SQLite's integers are 64-bit: a larger Python int cannot be bound to a query.
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
# The deepest body the API takes is 3 levels ({"expected": {"languages": {...}}}).
MAX_DEPTH = 8


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route: an integer SQLite can hold, else no such page (404),
    so no view ever looks up an id that would overflow the query."""

    regex = r"\d{1,19}"  # longer matches no rule at all: 404, not 405, for every method

    def __init__(self, map, fixed_digits=0, min=None, max=INT64_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class InputError(Exception):
    """A request that cannot be read: ``status`` (4xx), ``message``, ``errors`` per field."""

    def __init__(self, status, message, errors=None):
        super().__init__(str(message))
        self.status, self.message, self.errors = status, message, errors or {}


def fits_sqlite(number):
    return isinstance(number, int) and not isinstance(number, bool) \
        and INT64_MIN <= number <= INT64_MAX


def whole_number(raw):
    """An int from JSON, or from a form string of ASCII digits ("1,200" too), that
    SQLite can hold; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if fits_sqlite(raw) else None
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        # the length first: Python refuses to convert more than 4,300 digits
        if text.isascii() and text.isdigit() and len(text) <= 19 and fits_sqlite(int(text)):
            return int(text)
    return None


def number_message(label, low, high):
    if low == 1:
        return _l("%(field)s: a whole number from 1 to %(max)s.", field=label, max=f"{high:,}")
    return _l("%(field)s: a whole number from %(low)s to %(high)s.", field=label,
              low=f"{low:,}", high=f"{high:,}")


def integer_arg(args, name, label, errors, *, default, low=0, high=INT64_MAX):
    """An integer from a query string or form: the default when it is absent or empty,
    else a whole number from low to high; if not, ``errors[name]`` says so (and the
    default is used)."""
    raw = args.get(name, "")
    if not raw.strip():
        return default
    number = whole_number(raw)
    if number is None or not low <= number <= high:
        errors[name] = number_message(label, low, high)
        return default
    return number


def choice(value, choices):
    """``value`` if it is one of ``choices`` (strings), else None: JSON may hold a list
    or an object where a string is expected, and those cannot even be looked up."""
    return value if isinstance(value, str) and value in choices else None


def valid_text(text):
    """False for a string that cannot be stored: a lone surrogate (JSON's "\\ud800")."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_int(digits):
    # Past 4,300 digits int() raises; as a float (±inf) every whole-number check
    # refuses it and names its field.
    return int(digits) if len(digits) <= 100 else float(digits)


def json_object(request, labels=None):
    """The body of a JSON write as a dict; InputError (415 or 400) when it is not JSON,
    not an object, nested deeper than MAX_DEPTH, or holds text that is not valid
    Unicode. ``labels``: field names to show (else the JSON key)."""
    if not request.is_json:
        raise InputError(415, _l("Send the body as JSON (Content-Type: application/json)."))
    try:
        values = json.loads(request.get_data(), parse_int=_json_int)
    except RecursionError:
        raise InputError(400, _too_deep("body"), {"body": _too_deep("body")})
    except ValueError:  # UnicodeDecodeError too
        values = None
    if not isinstance(values, dict):
        raise InputError(400, _l("The body must be a JSON object."))
    errors = {}
    for key, value in values.items():
        label = (labels or {}).get(key, key if valid_text(key) else repr(key))
        problem = _problem(key, value, label)
        if problem:
            errors[key if valid_text(key) else repr(key)] = problem
    if errors:
        raise InputError(400, _l("Some fields are not valid; nothing was saved."), errors)
    return values


def _too_deep(label):
    return _l("%(field)s: nested more than %(max)s levels deep.", field=label, max=MAX_DEPTH)


def _problem(key, value, label):
    """The message for a top-level field too deep or with invalid text, or None."""
    stack = [(key, 1), (value, 2)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _too_deep(label)
        if isinstance(item, str) and not valid_text(item):
            return _l("%(field)s: not valid Unicode text.", field=label)
        if isinstance(item, dict):
            stack += [(k, depth + 1) for k in item] + [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return None
