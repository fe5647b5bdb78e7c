"""The organisation pages on each dashboard panel: providers, reviewer pool and staff with
their counts (one query per panel), and the organisation's profile."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import can
from qaportal.auth.models import Membership, Role, User
from qaportal.db import get_session
from qaportal.orgs.access import OrgAction
from qaportal.orgs.queries import organisation_counts
from qaportal.web.dashboard import Link, counted


def management_links(user: User, membership: Membership) -> list[Link]:
    org, org_id = membership.organisation, membership.organisation_id
    manages = [
        can(user, action, org)
        for action in (
            OrgAction.AGENCY_MANAGE_PROVIDERS,
            OrgAction.AGENCY_MANAGE_REVIEWERS,
            OrgAction.ORG_MANAGE_STAFF,
        )
    ]
    if not any(manages):
        return []
    counts = organisation_counts(get_session(), org_id)
    links = []
    if manages[0]:
        links.append(
            Link(
                counted(_("Provider organisations"), counts.providers),
                url_for("orgs.providers", agency_id=org_id),
            )
        )
    if manages[1]:
        links.append(
            Link(
                _(
                    "Reviewer pool (%(available)d of %(total)d available)",
                    available=counts.available_reviewers,
                    total=counts.reviewers,
                ),
                url_for("orgs.reviewers", agency_id=org_id),
            )
        )
    if manages[2]:
        links.append(
            Link(
                _(
                    "Staff and invitations (%(members)d members, %(pending)d pending)",
                    members=counts.members,
                    pending=counts.pending_invitations,
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
