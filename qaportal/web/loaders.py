"""Loading the object a URL names, or answering 404 (access is decided afterwards)."""

from __future__ import annotations

from flask import abort

from qaportal.db import get_session
from qaportal.orgs.models import Organisation, OrgKind


def organisation_or_404(org_id: int, kind: OrgKind | None = None) -> Organisation:
    """The organisation with this id (of this kind, if given), else 404."""
    org = get_session().get(Organisation, org_id)
    if org is None or (kind is not None and org.kind != kind):
        abort(404)
    return org
