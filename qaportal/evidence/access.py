"""Evidence exists for whoever reads its case's submission; collected by
:mod:`qaportal.access.policy` when imported."""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import register_rules, register_visibility
from qaportal.auth.models import User
from qaportal.cases.access import can_read_submission, can_see_case
from qaportal.evidence.models import Evidence


class EvidenceAction(enum.StrEnum):
    EVIDENCE_DOWNLOAD = "evidence.download"


def can_see_evidence(user: User, evidence: Any) -> bool:
    return can_see_case(user, evidence.case) and can_read_submission(user, evidence.case)


register_visibility(Evidence, can_see_evidence)
register_rules({EvidenceAction.EVIDENCE_DOWNLOAD: can_see_evidence})
