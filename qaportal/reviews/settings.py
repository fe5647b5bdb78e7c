"""An agency's review settings: how long a provider may object to an announced panel member,
how many days the provider has for the factual-accuracy check of the draft report, and the
conflict-of-interest guidance reviewers read when they declare.

An agency that has saved none uses the portal's defaults (``PANEL_OBJECTION_DAYS`` and
``FACTUAL_CHECK_DAYS`` of the app config, themselves set by ``QAPORTAL_*`` environment
variables) and the general guidance below. No request here; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.db import utcnow
from qaportal.reviews.models import ReviewSettings
from qaportal.reviews.services import DEFAULT_OBJECTION_DAYS

# When no app is at hand (a script, a test of a service alone): the config's own defaults.
DEFAULT_FACTUAL_CHECK_DAYS = 14

GENERAL_COI_GUIDANCE = (
    _l(
        "You have a conflict of interest if, in the last five years, you worked for, studied "
        "at, were paid by, advised or competed with this provider, or a close relative or "
        "partner did."
    ),
    _l("Also declare any tie that a reasonable person could see as affecting your judgement."),
    _l("If unsure, declare it: the agency decides whether it matters."),
)


@dataclass(frozen=True)
class Settings:
    objection_days: int
    factual_check_days: int
    coi_guidance: str = ""  # empty: the general guidance is shown

    @property
    def objection_window(self) -> dt.timedelta:
        return dt.timedelta(days=self.objection_days)

    def guidance(self) -> list[str]:
        """What a reviewer reads before declaring, one point a line: the agency's own text
        when it wrote one, the general points otherwise."""
        own = [line.strip() for line in self.coi_guidance.splitlines() if line.strip()]
        return own or [str(text) for text in GENERAL_COI_GUIDANCE]


def defaults() -> Settings:
    """The portal's settings for an agency that has saved none."""
    config = current_app.config if has_app_context() else {}
    return Settings(
        int(config.get("PANEL_OBJECTION_DAYS", DEFAULT_OBJECTION_DAYS)),
        int(config.get("FACTUAL_CHECK_DAYS", DEFAULT_FACTUAL_CHECK_DAYS)),
    )


def settings_for(session: Session, agency_id: int) -> Settings:
    row = session.get(ReviewSettings, agency_id)
    if row is None:
        return defaults()
    return Settings(row.objection_days, row.factual_check_days, row.coi_guidance)


def save_settings(session: Session, agency_id: int, values: Settings, actor: Actor) -> None:
    before = settings_for(session, agency_id)
    row = session.get(ReviewSettings, agency_id)
    if row is None:
        row = ReviewSettings(agency_id=agency_id)
        session.add(row)
    row.objection_days = values.objection_days
    row.factual_check_days = values.factual_check_days
    row.coi_guidance = values.coi_guidance.strip()
    row.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "review.settings_changed",
        object_type="organisation",
        object_id=agency_id,
        organisation_id=agency_id,
        details={"from": asdict(before), "to": asdict(settings_for(session, agency_id))},
    )
