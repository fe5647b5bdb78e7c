"""Who reads and edits a provider's micro-credential catalogue; collected by
:mod:`qaportal.access.policy` when imported."""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import has_role, register_rules, register_visibility
from qaportal.auth.models import Role, User
from qaportal.catalogue.models import Specification
from qaportal.orgs.access import can_see_organisation


class CatalogueAction(enum.StrEnum):
    CATALOGUE_VIEW = "catalogue.view"  # obj: the provider whose specifications are listed
    CATALOGUE_EDIT = "catalogue.edit"  # obj: the provider (create a specification)
    SPEC_VIEW = "specification.view"  # obj: a Specification (read every version)
    SPEC_EDIT = "specification.edit"  # obj: a Specification (drafts, publish, new version)
    SPEC_RETIRE = "specification.retire"  # obj: a Specification


def can_see_specification(user: User, spec: Any) -> bool:
    """A specification exists for whoever can see its provider (staff, managing agency)."""
    return can_see_organisation(user, spec.provider)


def _catalogue_edit(user: User, org: Any) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _spec_edit(user: User, spec: Any) -> bool:
    return has_role(user, spec.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _spec_retire(user: User, spec: Any) -> bool:
    return has_role(user, spec.provider_id, Role.PROVIDER_ADMIN)


register_visibility(Specification, can_see_specification)
register_rules(
    {
        CatalogueAction.CATALOGUE_VIEW: lambda user, org: org.is_provider,
        CatalogueAction.CATALOGUE_EDIT: _catalogue_edit,
        # visibility decides (can_see_specification)
        CatalogueAction.SPEC_VIEW: lambda user, spec: True,
        CatalogueAction.SPEC_EDIT: _spec_edit,
        CatalogueAction.SPEC_RETIRE: _spec_retire,
    }
)
