"""Human labels for the organisation domain's vocabularies (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qaportal.auth.models import ReviewerCategory, Role
from qaportal.orgs.models import ProviderType

PROVIDER_TYPE_LABELS = {
    ProviderType.HEI: _l("Higher education institution"),
    ProviderType.VET: _l("VET provider"),
    ProviderType.ADULT_LEARNING: _l("Adult learning provider"),
    ProviderType.EMPLOYER: _l("Employer / industry"),
    ProviderType.SOCIAL_PARTNER: _l("Social partner"),
    ProviderType.CIVIL_SOCIETY: _l("Civil society organisation"),
    ProviderType.PUBLIC_EMPLOYMENT_SERVICE: _l("Public employment service"),
    ProviderType.PUBLIC_AUTHORITY: _l("Public authority"),
    ProviderType.OTHER: _l("Other"),
}

REVIEWER_CATEGORY_LABELS = {
    ReviewerCategory.ACADEMIC: _l("Academic"),
    ReviewerCategory.STUDENT: _l("Student"),
    ReviewerCategory.EMPLOYER: _l("Employer / labour market"),
    ReviewerCategory.INTERNATIONAL: _l("International expert"),
    ReviewerCategory.QA_EXPERT: _l("Quality assurance expert"),
}

ROLE_LABELS = {
    Role.AGENCY_ADMIN: _l("Agency administrator"),
    Role.AGENCY_OFFICER: _l("Agency officer"),
    Role.REVIEWER: _l("Reviewer"),
    Role.PROVIDER_ADMIN: _l("Provider administrator"),
    Role.PROVIDER_EDITOR: _l("Provider editor"),
}


def provider_type_label(value: str | ProviderType | None) -> str:
    if not value:
        return ""
    try:
        return str(PROVIDER_TYPE_LABELS[ProviderType(value)])
    except ValueError:
        return str(value)


def reviewer_category_label(value: str | ReviewerCategory | None) -> str:
    if not value:
        return ""
    try:
        return str(REVIEWER_CATEGORY_LABELS[ReviewerCategory(value)])
    except ValueError:
        return str(value)


def role_label(value: str | Role | None) -> str:
    if not value:
        return ""
    try:
        return str(ROLE_LABELS[Role(value)])
    except ValueError:
        return str(value)
