"""Imports every model so that the metadata is complete (Alembic, tests)."""

from qaportal.audit.models import AuditChainHead, AuditEvent
from qaportal.auth.models import Membership, OneTimeToken, ReviewerProfile, User, UserSession
from qaportal.catalogue.models import LearningOutcome, Specification, SpecificationVersion
from qaportal.db import Base
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "LearningOutcome",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "OutboxMessage",
    "ReviewerProfile",
    "Specification",
    "SpecificationVersion",
    "User",
    "UserSession",
]
