"""Imports every model so that the metadata is complete (Alembic, tests)."""

from qaportal.audit.models import AuditChainHead, AuditEvent, AuditThrottle
from qaportal.auth.models import Membership, OneTimeToken, ReviewerProfile, User, UserSession
from qaportal.cases.models import Answer, Case, CaseFramework, CaseScope
from qaportal.catalogue.models import LearningOutcome, Specification, SpecificationVersion
from qaportal.db import Base
from qaportal.evidence.models import Evidence, EvidenceLink, StoredFile
from qaportal.feedback.models import (
    Campaign,
    CampaignSpecification,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackResponse,
    FeedbackSettings,
)
from qaportal.frameworks.models import Criterion, Framework, FrameworkRequirement, FrameworkVersion
from qaportal.jobs.models import BackgroundJob, WorkerHeartbeat
from qaportal.notifications.models import OutboxMessage
from qaportal.orgs.models import Organisation
from qaportal.reviews.models import PanelMember, PanelObjection

__all__ = [
    "Answer",
    "AuditChainHead",
    "AuditEvent",
    "AuditThrottle",
    "BackgroundJob",
    "Base",
    "Campaign",
    "CampaignSpecification",
    "Case",
    "CaseFramework",
    "CaseScope",
    "Criterion",
    "Evidence",
    "EvidenceLink",
    "FeedbackAnswer",
    "FeedbackInvitation",
    "FeedbackResponse",
    "FeedbackSettings",
    "Framework",
    "FrameworkRequirement",
    "FrameworkVersion",
    "LearningOutcome",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "OutboxMessage",
    "PanelMember",
    "PanelObjection",
    "ReviewerProfile",
    "Specification",
    "SpecificationVersion",
    "StoredFile",
    "User",
    "UserSession",
    "WorkerHeartbeat",
]
