"""Feedback campaigns, one-time invitations and anonymous responses.

How anonymity is kept
=====================

A response must not be linkable to an invitation or to an email address by anyone, the
people who run the database included. What is stored, and what is deliberately not:

* ``FeedbackInvitation`` holds the SHA-256 of its token, the address it was mailed to (for
  reminders) and a bare ``used`` flag. It has **no** ``used_at`` timestamp, **no** response
  id and nothing else that changes when it is used. Invitations live only while the
  campaign runs: when it closes (``services.sweep``, run by "close now" and by
  ``qaportal feedback sweep`` / ``remind`` for campaigns closed by date) their counts are
  kept on the campaign and the rows, addresses and all, are deleted.
* ``FeedbackResponse`` has a random UUID4 primary key (no autoincrement whose order could be
  matched with anything), the campaign, the questionnaire version it answered, the
  micro-credential the respondent named, and the **day** it arrived (``submitted_on``, a
  ``DATE``: no time of day). ``FeedbackAnswer`` rows have a composite primary key
  (response id, item code, choice) and no id or timestamp of their own.
* No foreign key, column or audit event connects the two tables. The invitation is marked
  used in the same transaction that stores the response (so a double submission stores
  exactly one response: ``UPDATE … SET used = true WHERE id = :id AND NOT used`` and the
  row count decides), and nothing about the invitation or the respondent (no token, no IP
  address) is written to the audit trail: anonymous responses are not audited at all.
* Row-version metadata: on PostgreSQL every row written by one transaction carries that
  transaction's id (``xmin``) and an updated row moves to a new place in the table, so the
  invitation flipped to ``used`` and the new response would share an ``xmin`` and the
  order of use would show in the invitations' physical order. To blur that, the same
  transaction also re-writes up to ``DECOY_TOUCHES`` other, already used invitations of the
  campaign chosen at random: an invitation's ``xmin`` then points to a crowd, and later
  submissions keep moving it. When the campaign closes the invitations are deleted, so
  nothing is left to link to.

What is *not* defended against, and documented as such: an operator who watches the
database live (or reads its write-ahead log, or the web server's access log with client
addresses and times) can correlate the moment an invitation is used with the moment a
response appears; defeating that would need responses to be queued and mixed before they
are stored. Reminders are addressed to those who have not answered yet, which says, per
day, how many had answered: a coarse inference that the day-level timestamps and the
results thresholds keep from naming anyone. Free-text comments may of course identify
their author by their content.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaportal.catalogue.models import Specification
from qaportal.db import Base, UTCDateTime, utcnow
from qaportal.frameworks.models import FrameworkVersion
from qaportal.orgs.models import Organisation, enum_values

DEFAULT_MIN_RESPONSES = 5
# How many other used invitations a submission re-writes (see the module docstring).
DECOY_TOUCHES = 8


class FeedbackKind(enum.StrEnum):
    LEARNER = "learner"
    PEER = "peer"


class InvitationChannel(enum.StrEnum):
    EMAIL = "email"  # a link mailed through the outbox
    CODE = "code"  # a printed one-time code / link handed out


class CampaignStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


def _enum(cls: type[enum.Enum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=enum_values)


class FeedbackSettings(Base):
    """An agency's feedback settings: the fewest responses before results are shown."""

    __tablename__ = "feedback_settings"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    min_responses: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_RESPONSES)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Campaign(Base):
    """A provider's learner or peer feedback campaign for one or more specifications."""

    __tablename__ = "feedback_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[FeedbackKind] = mapped_column(_enum(FeedbackKind))
    title: Mapped[str] = mapped_column(String(300))
    # The questionnaire snapshot (a FrameworkVersion of kind "questionnaire") it asks.
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id"))
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    closed_early_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set when the campaign has closed and its invitations were replaced by these counts.
    swept_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Kept up to date as invitations are made (``aggregates.add_invitations``), so that no
    # page counts the invitations; recounted once more when they are swept.
    invited_by_email: Mapped[int | None] = mapped_column(Integer)
    invited_by_code: Mapped[int | None] = mapped_column(Integer)
    # Set by the sweep; while the campaign runs it equals the response count.
    invitations_used: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    provider: Mapped[Organisation] = relationship()
    questionnaire_version: Mapped[FrameworkVersion] = relationship()
    specifications: Mapped[list[CampaignSpecification]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    def status(self, now: dt.datetime | None = None) -> CampaignStatus:
        now = now or utcnow()
        if now < self.opens_at:
            return CampaignStatus.SCHEDULED
        if now >= self.closes_at:
            return CampaignStatus.CLOSED
        return CampaignStatus.OPEN

    @property
    def specification_ids(self) -> list[int]:
        return [s.specification_id for s in self.specifications]


class CampaignSpecification(Base):
    __tablename__ = "feedback_campaign_specifications"
    __table_args__ = (PrimaryKeyConstraint("campaign_id", "specification_id"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    specification_id: Mapped[int] = mapped_column(ForeignKey("specifications.id"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="specifications")
    specification: Mapped[Specification] = relationship()


class FeedbackInvitation(Base):
    """A single-use invitation. Only the token's hash is stored, and only *that* it was used."""

    __tablename__ = "feedback_invitations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email"),
        # With ``id`` last, a campaign's lowest and highest used ids are one index step each
        # (the decoy draw in ``services._touch_decoys`` needs them on every submission).
        Index("ix_feedback_invitations_campaign_used", "campaign_id", "used", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    channel: Mapped[InvitationChannel] = mapped_column(_enum(InvitationChannel))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Kept only for reminders while the campaign runs; erased when it closes.
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    campaign: Mapped[Campaign] = relationship()


def new_response_id() -> str:
    return str(uuid.uuid4())


class FeedbackResponse(Base):
    """One anonymous response. Random id, day-level date, nothing that names the sender."""

    __tablename__ = "feedback_responses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_response_id)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE"), index=True
    )
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("framework_versions.id"))
    specification_id: Mapped[int | None] = mapped_column(ForeignKey("specifications.id"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)


class FeedbackAnswer(Base):
    """One answer: a row per response × item (× chosen option for multiple choice).

    ``value`` holds a Likert item's scale value, ``choice`` a chosen option's code ("" for
    other item types), ``text`` a free-text answer. The campaign and specification are
    repeated from the response so that the results are one indexed ``GROUP BY``.
    """

    __tablename__ = "feedback_answers"
    __table_args__ = (
        PrimaryKeyConstraint("response_id", "item_code", "choice"),
        Index(
            "ix_feedback_answers_aggregate",
            "campaign_id",
            "item_code",
            "specification_id",
            "value",
            "choice",
        ),
        # The results page's comment sample (first N by random response id) reads this
        # index in order and stops, instead of sorting every comment of the question.
        Index(
            "ix_feedback_answers_comments",
            "campaign_id",
            "item_code",
            "response_id",
            sqlite_where=sql_text("text IS NOT NULL"),
            postgresql_where=sql_text("text IS NOT NULL"),
        ),
    )

    response_id: Mapped[str] = mapped_column(
        ForeignKey("feedback_responses.id", ondelete="CASCADE")
    )
    item_code: Mapped[str] = mapped_column(String(60))
    choice: Mapped[str] = mapped_column(String(60), default="")
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    specification_id: Mapped[int | None] = mapped_column(ForeignKey("specifications.id"))
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)


# ----- maintained aggregates ----------------------------------------------------------------
#
# Kept up to date in the transaction that stores a response (an UPSERT that adds to the
# count, so parallel submissions never lose one) and never touched afterwards: a closed
# campaign accepts no response, so its aggregates are frozen with it. They are counts over
# the rows above and nothing else; rebuilding them from ``feedback_answers`` gives the same
# rows (``qaportal.feedback.aggregates.recompute``). Free text is counted, never copied.
#
# "Not stated" and "not a Likert value" are stored as 0 rather than NULL because NULLs are
# distinct in a primary key and an ``ON CONFLICT`` target would never match them.
NOT_STATED = 0


class AnswerCount(Base):
    """How many answers a campaign has per item × micro-credential × value × chosen option."""

    __tablename__ = "feedback_answer_counts"
    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "item_code", "specification_key", "value", "choice"),
    )

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    item_code: Mapped[str] = mapped_column(String(60))
    # The specification id, or NOT_STATED; not a foreign key, 0 names no row.
    specification_key: Mapped[int] = mapped_column(Integer)
    # True for a Likert answer (then ``value`` is the scale value); false for a chosen option
    # (``choice``) or a free-text answer (both empty).
    is_value: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[int] = mapped_column(Integer)
    choice: Mapped[str] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(Integer)


class BreakdownCount(Base):
    """Likert answers of a campaign per chosen option of another item (e.g. the peer type)."""

    __tablename__ = "feedback_breakdown_counts"
    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "group_item", "group_choice", "item_code", "value"),
    )

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    group_item: Mapped[str] = mapped_column(String(60))
    group_choice: Mapped[str] = mapped_column(String(60))
    item_code: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)


class ResponseCount(Base):
    """How many responses a campaign has per micro-credential named (NOT_STATED: none)."""

    __tablename__ = "feedback_response_counts"
    __table_args__ = (PrimaryKeyConstraint("campaign_id", "specification_key"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_campaigns.id", ondelete="CASCADE")
    )
    specification_key: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
