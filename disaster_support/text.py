"""Translated messages for later rendering: always text, never markup.

flask-babel's LazyString tells Jinja that it is already HTML (its ``__html__``
returns the string itself), so the parameters of a message — a filter value from
a link, a shelter name from an imported file, what someone typed in a form — would
reach the page as markup. A message made here is escaped wherever it is rendered,
parameters and all.
"""

from flask_babel import gettext, pgettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


class LazyText(LazyString):
    def __html__(self):
        return str(escape(str(self)))


def lazy_gettext(string, **variables):
    return LazyText(gettext, string, **variables)


def lazy_pgettext(context, string, **variables):
    return LazyText(pgettext, context, string, **variables)


_l = lazy_gettext


def read_once(labels):
    """{key: lazy label} translated once for a page: a table shows the same few
    labels in every row, and each use of a lazy one translates it again."""
    return {key: str(label) for key, label in labels.items()}
