"""What each role sees first: per membership, a panel with the work waiting for the user,
or words saying what will appear there and when, and links to the role's pages.

The panels are assembled here; what goes in them comes from the domains, each from its
own ``dashboard.py`` registered at start-up by the domain's ``register(app)``: its work
(:func:`register_tasks`), its pages (:func:`register_links`) and the first step to suggest
when nothing waits (:func:`register_next_step`). This module imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask import current_app, get_template_attribute, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Session

from qaportal.auth.models import Membership, Role, User
from qaportal.db import generic_plans, get_session


@dataclass
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Task:
    """One line of a panel's work list. ``waiting``: the next step is someone else's, so
    the line reports a state rather than asks for something."""

    label: str
    url: str
    detail: str = ""
    waiting: bool = False
    urgent: bool = False  # past its due date: highlighted
    is_group: ClassVar[bool] = False

    @property
    def status_key(self) -> str:
        """Which of :data:`STATUSES` the line's tag shows (printed from :func:`fixed_html`)."""
        if self.urgent:
            return "overdue"
        if self.waiting:
            return "waiting"
        return "todo"


# A task line's status tag: its word and tone (``tag`` in templates/macros.html).
STATUSES = {
    "overdue": (_l("Overdue"), "red"),
    "waiting": (_l("Waiting for others"), "grey"),
    "todo": (_l("To do"), "blue"),
}
# The headings of templates/web/dashboard.html.
WORDS = {
    "dashboard": _l("Dashboard"),
    "to_do": _l("To do"),
    "under_way": _l("Under way"),
    "pages": _l("Pages"),
}


@dataclass(frozen=True)
class Fixed:
    """What every dashboard in one language prints the same, made once per language:
    ``tags``, each of STATUSES as templates/macros.html's ``tag`` prints it, and ``words``,
    each of WORDS as the template's own ``_()`` would print it."""

    tags: dict[str, Markup]
    words: dict[str, Markup]


_FIXED: dict[str, Fixed] = {}


def fixed_html() -> Fixed:
    """The request's language's :class:`Fixed`."""
    locale = str(get_locale() or "")
    fixed = _FIXED.get(locale)
    if fixed is None:
        tag = get_template_attribute("macros.html", "tag")
        fixed = Fixed(
            tags={key: tag(str(word), tone) for key, (word, tone) in STATUSES.items()},
            # As Jinja's ``_()`` does: the translation trusted, then formatted.
            words={key: Markup(str(word)) % {} for key, word in WORDS.items()},  # noqa: S704
        )
        # Templates edited while the development server runs must show at once.
        if not current_app.jinja_env.auto_reload:
            _FIXED[locale] = fixed
    return fixed


@dataclass(frozen=True)
class TaskGroup:
    """Tasks of one kind, counted, linking to the page that lists them all (filtered). With
    the most urgent few tasks listed beside the groups, a dashboard stays a short list
    however many cases an agency has."""

    label: str  # counted already: "12 cases awaiting screening"
    url: str
    count: int
    overdue: int = 0
    waiting: bool = False
    overdue_url: str = ""  # the same list, only the overdue ones
    is_group: ClassVar[bool] = True

    def __post_init__(self) -> None:
        # Someone has to act on an overdue stage (do the work or chase it): never "waiting".
        if self.overdue:
            object.__setattr__(self, "waiting", False)

    @property
    def urgent(self) -> bool:
        return self.overdue > 0


Item = Task | TaskGroup
TaskSource = Callable[[Session, User, Membership], Sequence[Item]]
_TASK_SOURCES: list[TaskSource] = []


def register_tasks(source: TaskSource) -> TaskSource:
    """Adds a domain's work list to every panel (usable as a decorator; idempotent)."""
    if source not in _TASK_SOURCES:
        _TASK_SOURCES.append(source)
    return source


LinkSource = Callable[[User, Membership], "list[Link]"]
NextStepSource = Callable[[User, Membership], "Link | None"]
# (order, source): the domains register in any order, the panel lists them in this one.
_LINK_SOURCES: list[tuple[int, LinkSource]] = []
_NEXT_STEP_SOURCES: list[tuple[int, NextStepSource]] = []


def _add(registry: list[tuple[int, Any]], order: int, source: Any) -> None:
    if all(known is not source for _order, known in registry):
        registry.append((order, source))
        registry.sort(key=lambda entry: entry[0])


def register_links(source: LinkSource, *, order: int) -> LinkSource:
    """Adds a domain's links to its pages to the panels (lower ``order`` first)."""
    _add(_LINK_SOURCES, order, source)
    return source


def register_next_step(source: NextStepSource, *, order: int) -> NextStepSource:
    """A first step a domain suggests on a panel where nothing waits; the lowest ``order``
    that offers one is shown."""
    _add(_NEXT_STEP_SOURCES, order, source)
    return source


def counted(label: str, count: int) -> str:
    return _("%(label)s (%(count)d)", label=label, count=count)


@dataclass
class Panel:
    role: str
    role_label: str
    organisation: str
    intro: str
    links: list[Link] = field(default_factory=list)
    tasks: list[Item] = field(default_factory=list)
    # Shown when no task asks anything of the user: what will appear here, and when.
    empty: str = ""
    next_step: Link | None = None

    @property
    def todo(self) -> list[Item]:
        return [task for task in self.tasks if not task.waiting]

    @property
    def under_way(self) -> list[Item]:
        return [task for task in self.tasks if task.waiting]


_ROLE_LABELS = {
    Role.AGENCY_ADMIN: _l("Agency administrator"),
    Role.AGENCY_OFFICER: _l("Agency officer"),
    Role.REVIEWER: _l("Reviewer"),
    Role.PROVIDER_ADMIN: _l("Provider administrator"),
    Role.PROVIDER_EDITOR: _l("Provider editor"),
}
_INTROS = {
    Role.AGENCY_ADMIN: _l("Configure your agency, its users, reviewer pool and providers."),
    Role.AGENCY_OFFICER: _l("Screen applications, form panels and record decisions."),
    Role.REVIEWER: _l("Your review assignments and conflict-of-interest declarations."),
    Role.PROVIDER_ADMIN: _l("Keep your provider profile, staff and catalogue up to date."),
    Role.PROVIDER_EDITOR: _l("Write self-assessments and upload evidence."),
}
_SCREENING = _l(
    "Nothing waits for you. When a provider submits a self-assessment, its case "
    "appears here to be screened: accepted for review or returned to the provider."
)
# Each role's words are sentences of their own, so that a new one can be added without
# leaving the others untranslated meanwhile.
_EMPTY_STATES = {
    Role.AGENCY_ADMIN: (
        _SCREENING,
        _l(
            "Later stages appear here as they reach your agency, each with its deadline: "
            "panels to form, panel reports to decide on, answered conditions to assess, "
            "appeals to handle."
        ),
    ),
    Role.AGENCY_OFFICER: (
        _SCREENING,
        _l(
            "Later stages appear here as they reach you, each with its deadline: panels to "
            "form, panel reports to decide on, answered conditions to assess, appeals to "
            "handle."
        ),
    ),
    Role.REVIEWER: (
        _l(
            "No review yet. When an agency assigns you to a review panel, the case will "
            "appear here, with the provider's self-assessment, its evidence and a form for "
            "your findings on each criterion."
        ),
        _l("Each review shows the date your findings are due."),
    ),
    Role.PROVIDER_ADMIN: (
        _l(
            "Nothing waits for you. A self-assessment to write appears here once you apply "
            "for accreditation, or when the agency returns one to you; open feedback "
            "campaigns appear here with their responses."
        ),
        _l("Each task shows the date it is due, and each campaign the day it closes."),
    ),
    Role.PROVIDER_EDITOR: (
        _l(
            "Nothing waits for you. A self-assessment to write appears here once your "
            "provider's administrator applies for accreditation, or when the agency returns "
            "one; open feedback campaigns appear here with their responses."
        ),
        _l("Each task shows the date it is due, and each campaign the day it closes."),
    ),
}


def role_label(role: Role) -> str:
    return str(_ROLE_LABELS[role])


def _intro(role: Role) -> str:
    return str(_INTROS[role])


def _empty_state(role: Role) -> str:
    return " ".join(str(sentence) for sentence in _EMPTY_STATES[role])


def _next_step(user: User, membership: Membership) -> Link | None:
    if membership.role == Role.REVIEWER:
        return Link(_("Check your account details"), url_for("auth.account"))
    for _order, source in _NEXT_STEP_SOURCES:
        step = source(user, membership)
        if step is not None:
            return step
    return None


def _tasks(session: Session, user: User, membership: Membership) -> list[Item]:
    return [task for source in _TASK_SOURCES for task in source(session, user, membership)]


def _links(user: User, membership: Membership) -> list[Link]:
    return [link for _order, source in _LINK_SOURCES for link in source(user, membership)]


# Per (language, role): a panel's label, intro and empty state, translated once (flask-babel
# keeps a process's catalogues for good too); each lookup costs more than printing it.
_PANEL_TEXTS: dict[tuple[str, Role], tuple[str, str, str]] = {}


def _panel_texts(role: Role) -> tuple[str, str, str]:
    key = (str(get_locale() or ""), role)
    texts = _PANEL_TEXTS.get(key)
    if texts is None:
        texts = _PANEL_TEXTS[key] = (role_label(role), _intro(role), _empty_state(role))
    return texts


def _panel(session: Session, user: User, m: Membership) -> Panel:
    label, intro, empty = _panel_texts(m.role)
    panel = Panel(
        role=m.role.value,
        role_label=label,
        organisation=m.organisation.display_name,
        intro=intro,
        links=_links(user, m),
        tasks=_tasks(session, user, m),
        empty=empty,
    )
    # A first step is suggested only where nothing waits: not worth its checks otherwise.
    if not panel.todo:
        panel.next_step = _next_step(user, m)
    return panel


def dashboard_panels(user: User) -> list[Panel]:
    order = list(Role)
    memberships = sorted(user.memberships, key=lambda m: (order.index(m.role), m.organisation_id))
    session = get_session()
    with generic_plans(session):
        return [_panel(session, user, m) for m in memberships]
