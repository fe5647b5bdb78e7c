"""The micro-credential catalogue on a provider's dashboard panels."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import can
from qaportal.auth.models import Membership, User
from qaportal.catalogue.access import CatalogueAction
from qaportal.web.dashboard import Link


def catalogue_links(user: User, membership: Membership) -> list[Link]:
    org = membership.organisation
    if not (org.is_provider and can(user, CatalogueAction.CATALOGUE_VIEW, org)):
        return []
    url = url_for("catalogue.index", org_id=membership.organisation_id)
    return [Link(_("Micro-credential catalogue"), url)]
