"""Small helpers views share: who is acting, and navigation built from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qaportal.access.policy import can
from qaportal.audit.services import Actor
from qaportal.auth.models import Role

if TYPE_CHECKING:
    from qaportal.auth.invitations import LinkSettings


def current_actor() -> Actor:
    if current_user.is_authenticated:
        return Actor(current_user.id, current_user.email, request.remote_addr)
    return Actor(None, "anonymous", request.remote_addr)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    endpoint: str


@dataclass(frozen=True)
class NavLink:
    """An entry of the main navigation, declared by a domain in its ``register(app)``.

    With ``id_arg`` the entry belongs to an organisation: it is listed for each organisation
    of the user on which the policy allows ``action``, with that organisation's id in the
    address (``providers_only``: for providers only). Without, it is listed once: when the
    policy allows ``action`` on one of the user's organisations, or, with ``role`` instead,
    when the user holds that role somewhere."""

    label: str
    endpoint: str
    action: str | None = None
    id_arg: str | None = None
    providers_only: bool = False
    role: Role | None = None


# (order, link): the domains register in any order, the navigation lists them in this one.
_NAV_LINKS: list[tuple[int, NavLink]] = []


def register_nav(link: NavLink, *, order: int) -> NavLink:
    """Adds a domain's entry to the main navigation (lower ``order`` first; idempotent, as
    every app the process creates registers its domains again)."""
    if link.id_arg is not None and link.action is None:
        raise ValueError(f"{link.endpoint}: a page of an organisation needs an action")
    if all(known.endpoint != link.endpoint for _order, known in _NAV_LINKS):
        _NAV_LINKS.append((order, link))
        _NAV_LINKS.sort(key=lambda entry: entry[0])
    return link


def navigation() -> list[NavItem]:
    """Links the signed-in user may follow; every one is decided by the access policy.
    The organisations' pages come first, organisation by organisation, then the others."""
    if not current_user.is_authenticated:
        return []
    # The user itself, not the proxy: the policy reads it a few times per entry.
    user = current_user._get_current_object()
    items = [NavItem(_("Dashboard"), url_for("web.dashboard"), "web.dashboard")]
    organisations = list({m.organisation_id: m.organisation for m in user.memberships}.values())
    for org in organisations:
        for _order, link in _NAV_LINKS:
            if link.id_arg is None or link.action is None:
                continue
            if (org.is_provider or not link.providers_only) and can(user, link.action, org):
                url = url_for(link.endpoint, **{link.id_arg: org.id})
                items.append(NavItem(str(link.label), url, link.endpoint))
    for _order, link in _NAV_LINKS:
        if link.id_arg is None and _shown_once(user, link, organisations):
            items.append(NavItem(str(link.label), url_for(link.endpoint), link.endpoint))
    return items


def _shown_once(user: Any, link: NavLink, organisations: list[Any]) -> bool:
    if link.action is not None:
        return any(can(user, link.action, org) for org in organisations)
    return link.role is not None and user.has_role(link.role)


def link_settings() -> LinkSettings:
    """Where emailed links point and how long they last, from the app config."""
    from flask import current_app

    from qaportal.auth.invitations import LinkSettings

    return LinkSettings.from_config(current_app.config)
