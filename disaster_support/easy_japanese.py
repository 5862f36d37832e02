"""Easy Japanese pages get furigana on their interface words as notices do.

A catalog string cannot carry <ruby> (it also fills attributes, <option>s and titles),
so the finished page is read once more: every text node in the page's own language
gets readings; attributes, scripts, titles, options, existing <ruby> and anything
marked as another language (a shelter's name, lang="ja": its reading comes from the
registry, not a dictionary guess) stay exactly as they were.
"""

from html.parser import HTMLParser

from .i18n import chosen_language
from .notices.furigana import to_ruby_html

EASY = "ja-x-easy"
# where markup may not go, or words are not the page's own
VERBATIM = {"script", "style", "title", "option", "textarea", "ruby", "rt", "rp", "code",
            "pre", "svg", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class _Furigana(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out = []
        self.stack = []  # (tag, adds readings?)

    def _reading(self):
        return not self.stack or self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in VOID:
            return
        lang = dict(attrs).get("lang")
        keeps = self._reading() and tag not in VERBATIM and lang in (None, EASY)
        self.stack.append((tag, keeps))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        # close up to the matching element (the app's pages are well formed; this
        # keeps a stray end tag from shifting the rest)
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self._reading() and data.strip():
            self.out.append(to_ruby_html(data))
        else:
            self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def with_furigana(html):
    parser = _Furigana()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


def add_furigana(response):
    """After a request: an Easy Japanese HTML page gets its readings."""
    if (response.mimetype == "text/html" and not response.direct_passthrough
            and not response.is_streamed and chosen_language() == EASY):
        response.set_data(with_furigana(response.get_data(as_text=True)))
    return response


def init_app(app):
    app.after_request(add_furigana)
