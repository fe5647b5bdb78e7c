"""Imports every model so that the metadata is complete (Alembic, tests)."""

from qaportal.audit.models import AuditChainHead, AuditEvent, AuditThrottle
from qaportal.auth.models import Membership, OneTimeToken, ReviewerProfile, User, UserSession
from qaportal.cases.models import Answer, Case, CaseFramework, CaseScope
from qaportal.catalogue.models import LearningOutcome, Specification, SpecificationVersion
from qaportal.db import Base
from qaportal.decisions.models import (
    Appeal,
    AppealCommitteeMember,
    Complaint,
    Decision,
    DecisionCondition,
    DecisionSettings,
)
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
from qaportal.register.models import RegisterPublication
from qaportal.reporting.models import GeneratedDocument
from qaportal.reviews.models import (
    FactualComment,
    Judgement,
    PanelJudgement,
    PanelMember,
    PanelObjection,
    PanelReport,
    ReviewSettings,
    SiteVisit,
)

__all__ = [
    "Answer",
    "Appeal",
    "AppealCommitteeMember",
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
    "Complaint",
    "Criterion",
    "Decision",
    "DecisionCondition",
    "DecisionSettings",
    "Evidence",
    "EvidenceLink",
    "FactualComment",
    "FeedbackAnswer",
    "FeedbackInvitation",
    "FeedbackResponse",
    "FeedbackSettings",
    "Framework",
    "FrameworkRequirement",
    "FrameworkVersion",
    "GeneratedDocument",
    "Judgement",
    "LearningOutcome",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "OutboxMessage",
    "PanelJudgement",
    "PanelMember",
    "PanelObjection",
    "PanelReport",
    "RegisterPublication",
    "ReviewSettings",
    "ReviewerProfile",
    "SiteVisit",
    "Specification",
    "SpecificationVersion",
    "StoredFile",
    "User",
    "UserSession",
    "WorkerHeartbeat",
]
