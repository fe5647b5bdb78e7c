"""No untranslated words in a template: every word a user can read goes through `_()`,
`ngettext()` or `{% trans %}`, so the French and German pages are French and German.

Each template is lexed by Jinja; everything Jinja evaluates (`{{ }}`, `{% %}`, comments,
and the literal text inside `{% trans %}` blocks) becomes a placeholder, and what is left
is the literal markup. That markup is read as HTML: its text, and the attributes a user
reads or hears (alt, title, aria-label, placeholder, the value of a submit button), must
hold no letters beyond the allow-list below."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = (ROOT / "templates", ROOT / "reports")

# A placeholder for whatever Jinja computes: no letters, so it never counts as text.
HOLE = "\x00"

# Words and marks that are the same in every language, and why.
ALLOWED = [
    # The product's brand name is not translated.
    r"\bqaportal\b",
    # Codes of standards and file formats: the same in every EU language.
    r"\bQF-EHEA\b",
    r"\bISCED-F\b",
    r"\bECTS\b",
    r"\bEQF\b",
    r"\bNQF\b",
    r"\bJSON-LD\b",
    r"\bJSON\b",
    r"\bCSV\b",
    r"\bPDF\b",
    r"\bSHA-256\b",
    r"\bUTC\b",
    # Statistical notation "n = 12" under a group's figures.
    r"\bn\s*=",
    # Addresses given as examples are typed, not read as words.
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+",
]
_ALLOWED_RE = re.compile("|".join(ALLOWED))
_LETTER_RE = re.compile(r"[^\W\d_]")

# Literal text that is not read by anyone, per template, and why.
NOT_READ = {
    # _button_class() builds the value of a class attribute, outside any tag.
    ("templates/macros.html", "button button-- button--warning"),
}

# Attributes that a user sees (tooltips, placeholders) or a screen reader speaks.
VISIBLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-roledescription"}
# Elements whose content is not text on the page.
NOT_TEXT = {"script", "style"}


def _markup(source: str, env: Environment) -> str:
    """The template's literal markup, with a HOLE where Jinja computes something.
    Lines are kept in place, so positions point at the template's own lines."""
    out: list[str] = []
    line = 1
    in_trans = False
    after_block_begin = False
    for lineno, token, value in env.lex(source):
        if token == "whitespace":
            continue
        if token == "block_begin":
            after_block_begin = True
            continue
        if after_block_begin and token == "name":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        after_block_begin = False
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        if token == "data" and not in_trans:
            out.append(value)
            line += value.count("\n")
        elif token in {"variable_begin", "block_begin", "comment_begin"} or token == "data":
            out.append(HOLE)
    return "".join(out)


def _words(text: str) -> str:
    """What is left of a text once computed parts and allowed words are taken out."""
    text = _ALLOWED_RE.sub(" ", text.replace(HOLE, " "))
    return " ".join(text.split()) if _LETTER_RE.search(text) else ""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[tuple[int, str]] = []
        self._skip = 0

    def _note(self, text: str | None, what: str = "") -> None:
        left = _words(text or "")
        if left:
            self.findings.append((self.getpos()[0], f"{what}{left!r}"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NOT_TEXT:
            self._skip += 1
        a = dict(attrs)
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES:
                self._note(value, f"{name}=")
        # A submit input shows its value as the button's label.
        if tag == "input" and (a.get("type") or "").lower() in {"submit", "button", "reset"}:
            self._note(a.get("value"), "value=")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in NOT_TEXT:
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in NOT_TEXT and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._note(data)


# Component macros of templates/macros.html and the positions of the arguments a user
# reads: a quoted word there ("Save", not _('Save')) reaches the page untranslated.
LABEL_ARGUMENTS = {
    "button": (0,),
    "link_button": (1,),
    "post_button": (1,),
    "row_post_button": (1, 2),
    "tag": (0,),
    "state_tag": (1,),
    "notification_banner": (0,),
    "table_wrap": (0,),
    "summary_list": (1,),
}
LABEL_KEYWORDS = {"label", "context", "message"}


def _literal_labels(source: str, env: Environment) -> list[tuple[int, str]]:
    """Quoted strings printed as they are (`{{ 'Draft' }}`) or given as a component's
    label."""
    found: list[tuple[int, str]] = []
    tree = env.parse(source)
    consts: list[nodes.Const] = [
        n for out in tree.find_all(nodes.Output) for n in out.nodes if isinstance(n, nodes.Const)
    ]
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in LABEL_ARGUMENTS:
            positions = LABEL_ARGUMENTS[call.node.name]
            consts += [a for i, a in enumerate(call.args) if i in positions]
            consts += [k.value for k in call.kwargs if k.key in LABEL_KEYWORDS]
    for const in consts:
        if isinstance(const, nodes.Const) and isinstance(const.value, str):
            left = _words(const.value)
            if left:
                found.append((const.lineno, f"literal {left!r}"))
    return found


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of every literal user-visible text in a template."""
    # Only lexed and parsed, never rendered, but escape as the portal does.
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    parser = _Text()
    parser.feed(_markup(source, env))
    parser.close()
    return sorted(parser.findings + _literal_labels(source, env))


def _templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_every_template_is_checked() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _templates()}
    assert "templates/base.html" in names
    assert "templates/feedback/survey.html" in names
    assert "reports/decision-letter/letter.html" in names


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_template_has_no_untranslated_text(path: Path) -> None:
    where = path.relative_to(ROOT).as_posix()
    findings = [
        (line, text)
        for line, text in untranslated(path.read_text(encoding="utf-8"))
        if (where, text.strip("'")) not in NOT_READ
    ]
    assert not findings, "untranslated text:\n" + "\n".join(
        f"{where}:{line}: {text}" for line, text in findings
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        # Literal text between tags.
        ("<p>{{ _('Save') }}</p><p>Save draft</p>", [(1, "'Save draft'")]),
        # A word next to a computed value.
        ("<td>{{ n }} responses</td>", [(1, "'responses'")]),
        # User-visible attributes, and the label of a submit input.
        ('<img src="x.png" alt="Logo">', [(1, "alt='Logo'")]),
        ('<nav aria-label="Pages of {{ x }}"></nav>', [(1, "aria-label='Pages of'")]),
        ('<input type="submit" value="Send">', [(1, "value='Send'")]),
        ('<input placeholder="{{ _(\'Name\') }}" title="Your name">', [(1, "title='Your name'")]),
        # Later lines are reported at their own line, after multi-line expressions.
        ("<p>{{ a\n + b }}</p>\n<p>Oops</p>", [(3, "'Oops'")]),
        ("{# a\ncomment #}\n<b>Hi</b>", [(3, "'Hi'")]),
        # Quoted words printed as they are, or handed to a component as its label.
        ("<p>{{ 'Draft' }}</p>", [(1, "literal 'Draft'")]),
        ("{{ button('Save', 'secondary') }}", [(1, "literal 'Save'")]),
        ("{{ post_button(url, 'Close now', variant='warning') }}", [(1, "literal 'Close now'")]),
        ("{{ tag(label='Open') }}", [(1, "literal 'Open'")]),
    ],
)
def test_untranslated_text_is_found(source: str, expected: list[tuple[int, str]]) -> None:
    assert untranslated(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Save') }}</p>",
        "<p>{% trans %}Hello {{ name }}{% endtrans %}</p>",
        "<p>{% trans n=3 %}one file{% pluralize %}{{ n }} files{% endtrans %}</p>",
        # Markup and attributes nobody reads.
        '<a href="/cases/1" class="button button--secondary" rel="noopener">{{ _("Open") }}</a>',
        '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">',
        '<input type="text" name="q" value="abc">',
        "<style>body { color: black; }</style><script>let x = 1;</script>",
        "{% if x %}{{ x }}{% endif %} · — … ( ) : ; 12 %",
        # Allowed codes, notation and the brand.
        "<span>{{ n }} ECTS · EQF {{ level }} · SHA-256 <code>{{ h }}</code></span>",
        "<span>n = {{ g.n }}</span><title>qaportal</title>",
        "<p>{{ _('Write to') }} office@example.eu</p>",
        # Quoted values that are not labels: tones, variants, formats.
        "{{ button(_('Remove'), 'warning') }} {{ tag(_('Open'), 'green') }}",
        "{{ d.strftime('%Y-%m-%d') }} {{ x|default('') }}",
    ],
)
def test_translated_or_allowed_text_passes(source: str) -> None:
    assert untranslated(source) == []
