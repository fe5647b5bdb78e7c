"""The organisation pages on each dashboard panel: providers, reviewer pool and staff with
their counts (one statement per panel, built once), and the organisation's profile."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, and_, bindparam, func, select

from qaportal.access.policy import can
from qaportal.auth.models import Membership, OneTimeToken, ReviewerProfile, Role, User
from qaportal.db import UTCDateTime, get_session, utcnow
from qaportal.orgs.access import OrgAction
from qaportal.orgs.models import Organisation, OrgKind
from qaportal.orgs.queries import pending_invitations_condition
from qaportal.web.dashboard import Link, counted


@cache
def _counts(providers: bool, reviewers: bool, staff: bool) -> Select[Any]:
    """The numbers the links of one panel show, and only those (a provider's panel counts
    its staff, not a reviewer pool), in one statement. Built once per combination and run
    with ``org_id`` and ``now``: building it costs more than running it."""
    org_id = bindparam("org_id", type_=Integer)
    columns: list[Any] = []
    if providers:
        columns.append(
            select(func.count(Organisation.id))
            .where(Organisation.managing_agency_id == org_id, Organisation.kind == OrgKind.PROVIDER)
            .scalar_subquery()
            .label("providers")
        )
    if reviewers:
        pool = and_(Membership.organisation_id == org_id, Membership.role == Role.REVIEWER)
        columns.append(
            select(func.count(Membership.id)).where(pool).scalar_subquery().label("reviewers")
        )
        columns.append(
            select(func.count(Membership.id))
            .join(ReviewerProfile, ReviewerProfile.membership_id == Membership.id)
            .join(User, Membership.user_id == User.id)
            .where(pool, ReviewerProfile.available.is_(True), User.active.is_(True))
            .scalar_subquery()
            .label("available")
        )
    if staff:
        columns.append(
            select(func.count(func.distinct(Membership.user_id)))
            .where(Membership.organisation_id == org_id, Membership.role != Role.REVIEWER)
            .scalar_subquery()
            .label("members")
        )
        now = bindparam("now", type_=UTCDateTime())
        columns.append(
            select(func.count(OneTimeToken.id))
            .where(pending_invitations_condition(org_id, now))
            .scalar_subquery()
            .label("pending")
        )
    return select(*columns)


def management_links(user: User, membership: Membership) -> list[Link]:
    org, org_id = membership.organisation, membership.organisation_id
    providers, reviewers, staff = (
        can(user, action, org)
        for action in (
            OrgAction.AGENCY_MANAGE_PROVIDERS,
            OrgAction.AGENCY_MANAGE_REVIEWERS,
            OrgAction.ORG_MANAGE_STAFF,
        )
    )
    if not (providers or reviewers or staff):
        return []
    statement = _counts(providers, reviewers, staff)
    params = {"org_id": org_id, "now": utcnow()}
    # Plain rows on the Core connection: the ORM's per-statement work is not needed here.
    counts = get_session().connection().execute(statement, params).one()._mapping
    links = []
    if providers:
        links.append(
            Link(
                counted(_("Provider organisations"), counts["providers"]),
                url_for("orgs.providers", agency_id=org_id),
            )
        )
    if reviewers:
        links.append(
            Link(
                _(
                    "Reviewer pool (%(available)d of %(total)d available)",
                    available=counts["available"],
                    total=counts["reviewers"],
                ),
                url_for("orgs.reviewers", agency_id=org_id),
            )
        )
    if staff:
        links.append(
            Link(
                _(
                    "Staff and invitations (%(members)d members, %(pending)d pending)",
                    members=counts["members"],
                    pending=counts["pending"],
                ),
                url_for("orgs.staff", org_id=org_id),
            )
        )
    return links


def profile_links(user: User, membership: Membership) -> list[Link]:
    org, org_id = membership.organisation, membership.organisation_id
    links = []
    if membership.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR):
        links.append(Link(_("Provider profile"), url_for("orgs.show", org_id=org_id)))
    if org.is_agency and can(user, OrgAction.ORG_EDIT, org):
        links.append(Link(_("Agency profile"), url_for("orgs.show", org_id=org_id)))
    return links
