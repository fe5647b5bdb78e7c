"""Feedback campaigns, invitations and anonymous responses: the rules.

Services take a session and an :class:`~qaportal.audit.services.Actor`, know nothing of
Flask's request and leave the commit to the caller. Every change made by provider staff is
audited. Anonymous responses are deliberately **not** audited: an audit event carries a
timestamp, an address and its own ordering, which is exactly what must not sit beside a
response (see :mod:`qaportal.feedback.models` on anonymity). The number of responses is
itself the record of what arrived.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from qaportal import precompiled
from qaportal.audit.services import Actor, record
from qaportal.auth.tokens import hash_token
from qaportal.catalogue.models import Specification, SpecificationVersion
from qaportal.catalogue.services import newest_version_numbers
from qaportal.db import utcnow
from qaportal.feedback import aggregates
from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import (
    DECOY_TOUCHES,
    Campaign,
    CampaignSpecification,
    CampaignStatus,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackKind,
    FeedbackResponse,
    FeedbackSettings,
    InvitationChannel,
    new_response_id,
)
from qaportal.frameworks.carry import CARRIED_FROM
from qaportal.frameworks.models import FrameworkVersion
from qaportal.notifications.sender import register_before_send
from qaportal.notifications.services import Withdrawal, enqueue, withdraw
from qaportal.orgs.models import Organisation
from qaportal.reporting.qr import QUIET_ZONE, qr_code

# Emailed links are clicked, never typed: they keep 160 bits (32 base32 characters).
TOKEN_BYTES = 20
_TOKEN_RE = re.compile(r"^[A-Z2-7]{32}$")
# Printed codes are typed on a phone. Their alphabet is Crockford's base32 without either
# member of any pair a reader can mix up (0/O, 1/I/L, 2/Z, 5/S; Crockford already leaves
# out U), so no character on a slip has a look-alike. Sixteen characters would need 32
# symbols for 80 bits, which only an alphabet with look-alikes has; 18 of these 26 give
# 84.6 bits, read and typed in six groups of three.
CODE_ALPHABET = "346789ABCDEFGHJKMNPQRTVWXY"
CODE_LENGTH = 18
CODE_GROUP = 3
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
# What may stand between the groups when typed or pasted: spaces, dashes (phones turn "-"
# into en or em dashes), dots, underscores, and the invisible breaks copied from a page.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._\u200b\u00ad]")
# Codes printed before (RFC 4648 base32, 32 characters) hold look-alikes; that alphabet has
# no 0, 1 or 8, so those can only be a misread O, I or L, and B. "1" stands for two
# letters, so each reading is tried, up to a bound that keeps the lookup one small query.
_OLD_CODE_SUBSTITUTES = {"0": "O", "8": "B"}
_MAX_AMBIGUOUS_ONES = 6
MAX_CAMPAIGN_DAYS = 366
MAX_CODES_PER_BATCH = 1000
MAX_ADDRESSES_PER_UPLOAD = 5000
MAX_ADDRESS_FILE_BYTES = 1024 * 1024
# The README promises five as the floor: an agency may ask for more responses before results
# show, never fewer, since smaller groups could identify the people who answered.
MIN_THRESHOLD, MAX_THRESHOLD = 5, 100
REMINDER_INTERVAL = dt.timedelta(days=3)
MAX_REMINDERS = 3


class FeedbackError(Exception):
    """A request that cannot be carried out; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ----- tokens ------------------------------------------------------------------------------


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii")


def new_code() -> str:
    """A printed one-time code in canonical form (no separators)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_token(raw: str | None) -> str | None:
    """The token in canonical form (codes may be typed with spaces, dashes, lower case)."""
    cleaned = _SEPARATORS.sub("", raw or "").upper()
    return cleaned if _CODE_RE.match(cleaned) or _TOKEN_RE.match(cleaned) else None


def token_readings(raw: str | None) -> list[str]:
    """Every canonical token the typed text may stand for, most likely first.

    A current code has one reading: its alphabet has no look-alikes. A code printed in the
    old format may have been typed with a digit for the letter it resembles.
    """
    canonical = normalise_token(raw)
    if canonical is not None:
        return [canonical]
    cleaned = _SEPARATORS.sub("", raw or "").upper()
    if len(cleaned) != 32:
        return []
    for digit, letter in _OLD_CODE_SUBSTITUTES.items():
        cleaned = cleaned.replace(digit, letter)
    if cleaned.count("1") > _MAX_AMBIGUOUS_ONES:
        return []
    readings = [""]
    for char in cleaned:
        readings = [r + c for r in readings for c in ("IL" if char == "1" else char)]
    return [r for r in readings if _TOKEN_RE.match(r)]


def display_code(token: str) -> str:
    """The code as printed: groups of three (current codes) or four (older ones)."""
    size = CODE_GROUP if len(token) == CODE_LENGTH else 4
    return "-".join(token[i : i + size] for i in range(0, len(token), size))


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/f/{token}"


# ----- agency settings ---------------------------------------------------------------------


def threshold_for(session: Session, agency_id: int | None, default: int) -> int:
    """The fewest responses before results are shown, as the agency has set it."""
    if agency_id is None:
        return default
    settings = session.get(FeedbackSettings, agency_id)
    return settings.min_responses if settings is not None else default


def campaign_threshold(session: Session, campaign: Campaign, default: int) -> int:
    return threshold_for(session, campaign.provider.managing_agency_id, default)


def threshold_range_message() -> str:
    return str(
        _l(
            "Choose a number from %(low)d to %(high)d. The threshold can be raised, but not "
            "below %(low)d: smaller groups could identify the people who answered.",
            low=MIN_THRESHOLD,
            high=MAX_THRESHOLD,
        )
    )


def set_threshold(session: Session, agency: Organisation, value: int, actor: Actor) -> None:
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise FeedbackError(threshold_range_message(), "min_responses")
    settings = session.get(FeedbackSettings, agency.id)
    before = settings.min_responses if settings else None
    if settings is None:
        settings = FeedbackSettings(agency_id=agency.id, min_responses=value)
        session.add(settings)
    settings.min_responses = value
    settings.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "feedback.threshold_changed",
        object_type="organisation",
        object_id=agency.id,
        organisation_id=agency.id,
        details={"from": before, "to": value},
    )


# ----- campaigns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecificationChoice:
    id: int
    title: str


_TITLES: Any = None


def _titles_query() -> Any:
    # Built once, the ids bound at execution: building the subquery's columns cost more
    # than running it (every survey page asks).
    global _TITLES
    if _TITLES is None:
        newest = newest_version_numbers(
            SpecificationVersion.specification_id.in_(bindparam("spec_ids", expanding=True))
        )
        _TITLES = select(SpecificationVersion.specification_id, SpecificationVersion.title).join(
            newest,
            and_(
                newest.c.specification_id == SpecificationVersion.specification_id,
                newest.c.number == SpecificationVersion.number,
            ),
        )
    return _TITLES


def specification_titles(session: Session, specification_ids: Iterable[int]) -> dict[int, str]:
    """The title of each specification's newest version (one query)."""
    ids = list(set(specification_ids))
    if not ids:
        return {}
    rows = session.execute(_titles_query(), {"spec_ids": ids})
    titles = {sid: title for sid, title in rows}
    return {sid: titles.get(sid) or str(_l("Untitled specification")) for sid in ids}


def provider_specifications(session: Session, provider_id: int) -> list[SpecificationChoice]:
    """The provider's specifications that can be surveyed (not retired), by title."""
    ids = session.execute(
        select(Specification.id).where(
            Specification.provider_id == provider_id, Specification.retired_at.is_(None)
        )
    ).scalars()
    titles = specification_titles(session, ids)
    return sorted(
        (SpecificationChoice(sid, title) for sid, title in titles.items()),
        key=lambda c: (c.title.casefold(), c.id),
    )


def create_campaign(
    session: Session,
    provider: Organisation,
    *,
    kind: FeedbackKind,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    specification_ids: Iterable[int],
    actor: Actor,
    today: dt.date | None = None,
) -> Campaign:
    """Open a campaign; it asks the newest version of the kind's questionnaire."""
    today = today or utcnow().date()
    title = (title or "").strip()
    if not title:
        raise FeedbackError(str(_l("Enter a title.")), "title")
    if closes_on < opens_on:
        raise FeedbackError(
            str(_l("The closing date must not be before the opening date.")), "closes_on"
        )
    if closes_on < today:
        raise FeedbackError(str(_l("The closing date must not be in the past.")), "closes_on")
    if (closes_on - opens_on).days > MAX_CAMPAIGN_DAYS:
        raise FeedbackError(
            str(_l("A campaign can run for at most %(days)d days.", days=MAX_CAMPAIGN_DAYS)),
            "closes_on",
        )
    chosen = sorted(set(specification_ids))
    allowed = {c.id for c in provider_specifications(session, provider.id)}
    if not chosen:
        raise FeedbackError(str(_l("Choose at least one micro-credential.")), "specifications")
    if set(chosen) - allowed:
        raise FeedbackError(
            str(_l("Choose micro-credentials of your own catalogue.")), "specifications"
        )
    version = qn.current_version(session, kind)
    campaign = Campaign(
        provider_id=provider.id,
        kind=kind,
        title=title[:300],
        questionnaire_version_id=version.id,
        opens_at=dt.datetime.combine(opens_on, dt.time(), dt.UTC),
        closes_at=dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(), dt.UTC),
        created_by_id=actor.user_id,
        specifications=[CampaignSpecification(specification_id=sid) for sid in chosen],
    )
    session.add(campaign)
    session.flush()
    record(
        session,
        actor,
        "feedback.campaign_created",
        object_type="feedback_campaign",
        object_id=campaign.id,
        organisation_id=provider.id,
        details={
            "title": campaign.title,
            "kind": kind.value,
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
            "specifications": chosen,
            "questionnaire_version": version.id,
        },
    )
    return campaign


def load_campaign(session: Session, campaign_id: int) -> Campaign | None:
    return session.execute(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .options(
            joinedload(Campaign.provider),
            joinedload(Campaign.questionnaire_version),
            selectinload(Campaign.specifications),
        )
    ).scalar_one_or_none()


def close_campaign(session: Session, campaign: Campaign, actor: Actor) -> None:
    """Close now: links and codes stop working and the invitations are deleted (``sweep``)."""
    now = utcnow()
    if campaign.status(now) == CampaignStatus.CLOSED:
        raise FeedbackError(str(_l("This campaign is already closed.")))
    campaign.closes_at = now
    campaign.closed_early_at = now
    if campaign.opens_at > now:
        campaign.opens_at = now
    mail = sweep(session, campaign)
    record(
        session,
        actor,
        "feedback.campaign_closed",
        object_type="feedback_campaign",
        object_id=campaign.id,
        organisation_id=campaign.provider_id,
        details={"title": campaign.title, **_mail_counts(mail)},
    )


def mail_reference(campaign_id: int) -> str:
    """How the outbox knows the invitations and reminders of a campaign."""
    return f"feedback_campaign:{campaign_id}"


def _mail_counts(mail: Withdrawal) -> dict[str, int]:
    # Counts only: the addresses are what is being erased.
    return {"mail_withdrawn": mail.withdrawn, "addresses_erased": mail.erased}


def sweep(session: Session, campaign: Campaign) -> Withdrawal:
    """After closing: keep the invitation counts on the campaign and delete the invitations
    (with their addresses), so that nothing is left that a response could be linked to.

    Invitations and reminders still in the outbox are withdrawn (their links are dead) and
    the addresses of those already sent are erased from the outbox too.
    """
    # Counted from the rows one last time: these figures are what stays once they are gone.
    counts = aggregates.recount_invitations(session, [campaign.id])[campaign.id]
    campaign.invited_by_email = counts.emails
    campaign.invited_by_code = counts.codes
    campaign.invitations_used = counts.used
    session.execute(
        delete(FeedbackInvitation)
        .where(FeedbackInvitation.campaign_id == campaign.id)
        .execution_options(synchronize_session=False)
    )
    mail = withdraw(session, mail_reference(campaign.id))
    campaign.swept_at = utcnow()
    session.flush()
    return mail


def sweep_closed_campaigns(session: Session, actor: Actor) -> int:
    """Sweep every campaign that has closed by date and not been swept yet."""
    campaigns = session.execute(
        select(Campaign).where(Campaign.closes_at <= utcnow(), Campaign.swept_at.is_(None))
    ).scalars()
    count = 0
    for campaign in campaigns:
        mail = sweep(session, campaign)
        record(
            session,
            actor,
            "feedback.campaign_swept",
            object_type="feedback_campaign",
            object_id=campaign.id,
            organisation_id=campaign.provider_id,
            details=_mail_counts(mail),
        )
        count += 1
    return count


@register_before_send
def _sweep_before_sending(session: Session) -> None:
    # A campaign past its closing date may not have been swept yet: its invitations must
    # not go out with dead links, nor keep their addresses.
    sweep_closed_campaigns(session, Actor.system("mailer"))


@dataclass(frozen=True)
class CampaignSummary:
    """A campaign as lists and overview pages show it (plain data)."""

    id: int
    title: str
    kind: FeedbackKind
    status: CampaignStatus
    opens_on: dt.date
    closes_on: dt.date  # the last day on which answers are accepted
    specifications: list[str]
    invited: int
    used: int
    responses: int
    emails: int
    codes: int
    reminders_due: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invited if self.invited else None


def _last_day(campaign: Campaign) -> dt.date:
    return (campaign.closes_at - dt.timedelta(microseconds=1)).date()


def summaries(session: Session, campaigns: list[Campaign]) -> list[CampaignSummary]:
    """Counts for several campaigns in a constant number of queries."""
    ids = [c.id for c in campaigns]
    if not ids:
        return []
    # The maintained counts, not a count of the responses or invitations (see ``aggregates``).
    responses = {
        cid: sum(sizes.values()) for cid, sizes in aggregates.response_sizes(session, ids).items()
    }
    titles = specification_titles(
        session, (s.specification_id for c in campaigns for s in c.specifications)
    )
    now = utcnow()
    out = []
    for c in campaigns:
        invited = aggregates.invitation_totals(c, responses.get(c.id, 0))
        emails, codes, used = invited.emails, invited.codes, invited.used
        out.append(
            CampaignSummary(
                id=c.id,
                title=c.title,
                kind=c.kind,
                status=c.status(now),
                opens_on=c.opens_at.date(),
                closes_on=_last_day(c),
                specifications=sorted(titles[s.specification_id] for s in c.specifications),
                invited=emails + codes,
                used=used,
                responses=responses.get(c.id, 0),
                emails=emails,
                codes=codes,
            )
        )
    return out


# Built once: every provider dashboard reads it.
_PROVIDER_CAMPAIGNS = (
    select(Campaign)
    .where(Campaign.provider_id == bindparam("provider_id"))
    .options(selectinload(Campaign.specifications))
    .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
)


def provider_campaigns(session: Session, provider_id: int) -> list[CampaignSummary]:
    found = session.execute(_PROVIDER_CAMPAIGNS, {"provider_id": provider_id})
    return summaries(session, list(found.scalars()))


# ----- invitations by email ----------------------------------------------------------------


@dataclass(frozen=True)
class AddressProblem:
    row: int
    value: str
    reason: str


class AddressListRejected(FeedbackError):
    """The address file has problems; nothing was stored or sent."""

    def __init__(self, problems: list[AddressProblem]) -> None:
        super().__init__(str(_l("The file was refused; nothing was sent.")), "file")
        self.problems = problems


def parse_address_file(data: bytes) -> tuple[list[tuple[int, str]], list[AddressProblem]]:
    """Read a CSV of email addresses: ``(row, address)`` pairs and every problem found.

    The file has a header row with an ``email`` column (other columns are ignored), or
    just one address per line. Rows are numbered as a spreadsheet shows them.
    """
    problems: list[AddressProblem] = []
    if len(data) > MAX_ADDRESS_FILE_BYTES:
        return [], [AddressProblem(0, "", str(_l("The file is larger than 1 MB.")))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [AddressProblem(0, "", str(_l("The file is not UTF-8 encoded text.")))]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not any(any(cell.strip() for cell in row) for row in rows):
        return [], [AddressProblem(0, "", str(_l("The file contains no addresses.")))]
    column, first = 0, 0
    header = [cell.strip().lower() for cell in rows[0]]
    if "@" not in "".join(header):
        if "email" not in header and "e-mail" not in header:
            return [], [
                AddressProblem(
                    1,
                    ",".join(rows[0])[:80],
                    str(_l('The first row must be a header with an "email" column.')),
                )
            ]
        column = header.index("email") if "email" in header else header.index("e-mail")
        first = 1
    addresses: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index in range(first, len(rows)):
        row_number, row = index + 1, rows[index]
        if not any(cell.strip() for cell in row):
            continue  # blank lines are skipped
        raw = row[column].strip() if column < len(row) else ""
        if not raw:
            problems.append(AddressProblem(row_number, "", str(_l("The address is missing."))))
            continue
        try:
            address = validate_email(raw, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            problems.append(
                AddressProblem(
                    row_number, raw[:254], str(_l("Not a valid email address: %(why)s", why=exc))
                )
            )
            continue
        if address in seen:
            problems.append(
                AddressProblem(
                    row_number,
                    raw[:254],
                    str(_l("The address is also on row %(row)d.", row=seen[address])),
                )
            )
            continue
        seen[address] = row_number
        addresses.append((row_number, address))
    if len(addresses) > MAX_ADDRESSES_PER_UPLOAD:
        problems.append(
            AddressProblem(
                0,
                "",
                str(
                    _l(
                        "At most %(n)d addresses can be invited at once.",
                        n=MAX_ADDRESSES_PER_UPLOAD,
                    )
                ),
            )
        )
    return addresses, problems


def _ensure_open_for_invitations(campaign: Campaign) -> None:
    if campaign.status() == CampaignStatus.CLOSED:
        raise FeedbackError(str(_l("This campaign is closed; no more invitations can be made.")))


def _invitation_mail(campaign: Campaign, link: str, *, reminder: bool) -> tuple[str, str]:
    # The mail is written in the sender's language; the link asks the survey to be too.
    link = f"{link}?lang={qn.current_language() or 'en'}"
    provider = campaign.provider.display_name
    closes = _last_day(campaign).isoformat()
    if reminder:
        subject = _("Reminder: your feedback on %(title)s", title=campaign.title)
        opening = _(
            "A short reminder: %(provider)s would still like your feedback. This link "
            "replaces the one we sent before, which no longer works.",
            provider=provider,
        )
    else:
        subject = _("Your feedback on %(title)s", title=campaign.title)
        opening = _(
            "%(provider)s asks for your feedback on %(title)s.",
            provider=provider,
            title=campaign.title,
        )
    body = "\n\n".join(
        [
            _("Hello,"),
            opening,
            _("Open this link to answer the survey (it works once):") + "\n" + link,
            _(
                "The survey is anonymous: your answers cannot be linked to you or to this "
                "link. It closes at the end of %(date)s (UTC).",
                date=closes,
            ),
        ]
    )
    return subject, body + "\n"


def invite_by_email(
    session: Session, campaign: Campaign, data: bytes, actor: Actor, base_url: str
) -> int:
    """Invite every address in the file, or nobody: any bad row refuses the whole file."""
    _ensure_open_for_invitations(campaign)
    addresses, problems = parse_address_file(data)
    if addresses and not problems:
        emails = [a for _row, a in addresses]
        already: set[str] = set()
        for start in range(0, len(emails), 500):
            already.update(
                session.execute(
                    select(FeedbackInvitation.email).where(
                        FeedbackInvitation.campaign_id == campaign.id,
                        FeedbackInvitation.email.in_(emails[start : start + 500]),
                    )
                ).scalars()
            )
        problems = [
            AddressProblem(row, address, str(_l("This address was already invited.")))
            for row, address in addresses
            if address in already
        ]
    if problems:
        raise AddressListRejected(problems)
    now = utcnow()
    for _row, address in addresses:
        token = new_token()
        session.add(
            FeedbackInvitation(
                campaign_id=campaign.id,
                channel=InvitationChannel.EMAIL,
                token_hash=hash_token(token),
                email=address,
                last_sent_at=now,
            )
        )
        subject, body = _invitation_mail(campaign, survey_link(base_url, token), reminder=False)
        enqueue(
            session,
            address,
            subject,
            body,
            organisation_id=campaign.provider_id,
            reference=mail_reference(campaign.id),
        )
    aggregates.add_invitations(session, campaign, InvitationChannel.EMAIL, len(addresses))
    record(
        session,
        actor,
        "feedback.invitations_sent",
        object_type="feedback_campaign",
        object_id=campaign.id,
        organisation_id=campaign.provider_id,
        details={"count": len(addresses)},
    )
    return len(addresses)


def send_reminders(
    session: Session,
    actor: Actor,
    base_url: str,
    *,
    campaign: Campaign | None = None,
    interval: dt.timedelta = REMINDER_INTERVAL,
    max_reminders: int = MAX_REMINDERS,
) -> int:
    """Remind those invited by email who have not answered (open campaigns only).

    An invitation is reminded at most ``max_reminders`` times, and not again within
    ``interval`` of its last message. Only token hashes are stored, so a reminder carries a
    new link that replaces the old one.
    """
    now = utcnow()
    query = (
        select(FeedbackInvitation)
        .join(Campaign, Campaign.id == FeedbackInvitation.campaign_id)
        .where(
            FeedbackInvitation.channel == InvitationChannel.EMAIL,
            FeedbackInvitation.used.is_(False),
            FeedbackInvitation.email.is_not(None),
            FeedbackInvitation.reminders_sent < max_reminders,
            FeedbackInvitation.last_sent_at <= now - interval,
            Campaign.opens_at <= now,
            Campaign.closes_at > now,
        )
        .options(joinedload(FeedbackInvitation.campaign).joinedload(Campaign.provider))
        .order_by(FeedbackInvitation.id)
    )
    if campaign is not None:
        query = query.where(FeedbackInvitation.campaign_id == campaign.id)
    per_campaign: dict[int, tuple[Campaign, int]] = {}
    for invitation in session.execute(query).scalars():
        token = new_token()
        invitation.token_hash = hash_token(token)
        invitation.reminders_sent += 1
        invitation.last_sent_at = now
        subject, body = _invitation_mail(
            invitation.campaign, survey_link(base_url, token), reminder=True
        )
        assert invitation.email is not None
        enqueue(
            session,
            invitation.email,
            subject,
            body,
            organisation_id=invitation.campaign.provider_id,
            reference=mail_reference(invitation.campaign_id),
        )
        seen = per_campaign.get(invitation.campaign_id, (invitation.campaign, 0))
        per_campaign[invitation.campaign_id] = (seen[0], seen[1] + 1)
    for target, count in per_campaign.values():
        record(
            session,
            actor,
            "feedback.reminders_sent",
            object_type="feedback_campaign",
            object_id=target.id,
            organisation_id=target.provider_id,
            details={"count": count},
        )
    session.flush()
    return sum(count for _c, count in per_campaign.values())


# ----- printable one-time codes ------------------------------------------------------------


@dataclass(frozen=True)
class PrintedCode:
    code: str  # grouped for reading aloud and typing
    url: str

    def qr_svg(self) -> str:
        """Inline SVG of the QR code of the link, the same symbol a report's QR uses.

        Three pixels a module print the symbol about 3 cm wide: large enough for any phone
        camera, small enough for a dozen slips on an A4 page.
        """
        return qr_code(self.url).svg_inline(
            scale=3, border=QUIET_ZONE, title=_("Survey link: %(url)s", url=self.url)
        )


def generate_codes(
    session: Session, campaign: Campaign, count: int, actor: Actor, base_url: str
) -> list[PrintedCode]:
    """Make ``count`` one-time codes. They are shown once, to be printed: only hashes stay."""
    _ensure_open_for_invitations(campaign)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise FeedbackError(
            str(_l("Choose from 1 to %(n)d codes.", n=MAX_CODES_PER_BATCH)), "count"
        )
    codes = []
    for _i in range(count):
        token = new_code()
        session.add(
            FeedbackInvitation(
                campaign_id=campaign.id,
                channel=InvitationChannel.CODE,
                token_hash=hash_token(token),
            )
        )
        codes.append(PrintedCode(display_code(token), survey_link(base_url, token)))
    aggregates.add_invitations(session, campaign, InvitationChannel.CODE, count)
    record(
        session,
        actor,
        "feedback.codes_generated",
        object_type="feedback_campaign",
        object_id=campaign.id,
        organisation_id=campaign.provider_id,
        details={"count": count},
    )
    return codes


# ----- answering ---------------------------------------------------------------------------


class LinkProblem(Exception):
    """The link or code cannot be used; ``reason`` is unknown, used, closed or not_open."""

    def __init__(self, reason: str, campaign: Campaign | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.campaign = campaign


def _check_campaign(campaign: Campaign, now: dt.datetime) -> None:
    status = campaign.status(now)
    if status == CampaignStatus.CLOSED:
        raise LinkProblem("closed", campaign)
    if status == CampaignStatus.SCHEDULED:
        raise LinkProblem("not_open", campaign)


def redeem(session: Session, token: str | None) -> FeedbackInvitation:
    """The usable invitation for a link's token or a typed code. Nothing is changed: the
    invitation is used up only when answers are stored."""
    readings = token_readings(token)
    if not readings:
        raise LinkProblem("unknown")
    # Two readings of one typed code matching two invitations would take 2^-160 luck; the
    # first found is as good as any.
    invitation = (
        session.execute(
            select(FeedbackInvitation)
            .where(FeedbackInvitation.token_hash.in_([hash_token(r) for r in readings]))
            .options(joinedload(FeedbackInvitation.campaign).joinedload(Campaign.provider))
        )
        .scalars()
        .first()
    )
    if invitation is None:
        raise LinkProblem("unknown")
    if invitation.used:
        raise LinkProblem("used", invitation.campaign)
    _check_campaign(invitation.campaign, utcnow())
    return invitation


_USABLE_INVITATION: Any = None


def _usable_invitation_query() -> Any:
    # Built once: constructing the eager loads cost more than running the query. One
    # statement loads the invitation with everything a submission reads; the definition
    # comes too, since the questionnaire cache key reads it on every request anyway.
    global _USABLE_INVITATION
    if _USABLE_INVITATION is None:
        _USABLE_INVITATION = (
            select(FeedbackInvitation)
            .where(
                FeedbackInvitation.id == bindparam("invitation_id"),
                FeedbackInvitation.campaign_id == bindparam("campaign_id"),
            )
            .options(
                joinedload(FeedbackInvitation.campaign).options(
                    joinedload(Campaign.provider),
                    joinedload(Campaign.questionnaire_version),
                    joinedload(Campaign.specifications),
                )
            )
        )
    return _USABLE_INVITATION


def usable_invitation(session: Session, invitation_id: int, campaign_id: int) -> FeedbackInvitation:
    """The invitation a survey session stands for, if it can still be answered."""
    invitation = (
        session.execute(
            _usable_invitation_query(),
            {"invitation_id": invitation_id, "campaign_id": campaign_id},
        )
        .unique()
        .scalar_one_or_none()
    )
    if invitation is None:
        raise LinkProblem("unknown")
    if invitation.used:
        raise LinkProblem("used", invitation.campaign)
    _check_campaign(invitation.campaign, utcnow())
    return invitation


@dataclass(frozen=True)
class SubmissionTarget:
    """What storing a response needs of its invitation, read as plain columns: a submission
    that goes through never needs the ORM objects (loading the invitation with its campaign,
    provider, questionnaire version and micro-credentials cost a quarter of a submission)."""

    invitation_id: int
    campaign_id: int
    questionnaire_version_id: int
    questionnaire: qn.Questionnaire
    specification_ids: tuple[int, ...]


_SUBMISSION_TARGET: Any = None


def _submission_target_query() -> Any:
    """The invitation's state, whether its campaign is open, its questionnaire key, one row
    per micro-credential (built once; parameters bound). The definition itself stays in the
    database: only its carried-translations marker is read, for the questionnaire's key.
    Every column is a plain value as the driver returns it (the campaign's dates are compared
    in SQL), so the statement runs through :mod:`qaportal.precompiled`."""
    global _SUBMISSION_TARGET
    if _SUBMISSION_TARGET is None:
        inv, link, version = FeedbackInvitation, CampaignSpecification, FrameworkVersion
        now = bindparam("now", type_=Campaign.__table__.c.opens_at.type)
        _SUBMISSION_TARGET = (
            select(
                inv.used,
                and_(Campaign.opens_at <= now, now < Campaign.closes_at).label("open_now"),
                Campaign.questionnaire_version_id,
                version.content_hash,
                version.definition[CARRIED_FROM].as_string().label("carried"),
                link.specification_id,
            )
            .select_from(inv)
            .join(Campaign, Campaign.id == inv.campaign_id)
            .join(version, version.id == Campaign.questionnaire_version_id)
            .outerjoin(link, link.campaign_id == Campaign.id)
            .where(
                inv.id == bindparam("invitation_id", type_=Integer),
                inv.campaign_id == bindparam("campaign_id", type_=Integer),
            )
        )
    return _SUBMISSION_TARGET


def _definition(session: Session, version_id: int) -> dict[str, Any]:
    return dict(
        session.execute(
            select(FrameworkVersion.definition).where(FrameworkVersion.id == version_id)
        ).scalar_one()
    )


def submission_target(session: Session, invitation_id: int, campaign_id: int) -> SubmissionTarget:
    """:func:`usable_invitation` for a submission: the same checks and ``LinkProblem``s,
    the invitation read as :class:`SubmissionTarget`."""
    now = utcnow()
    rows = precompiled.execute(
        session.connection(),
        _submission_target_query(),
        {"invitation_id": invitation_id, "campaign_id": campaign_id, "now": now},
    ).all()
    if not rows:
        raise LinkProblem("unknown")
    first = rows[0]
    if first.used or not first.open_now:
        # Seldom: the campaign is loaded only for the page that says why.
        campaign = session.get(Campaign, campaign_id)
        if first.used:
            raise LinkProblem("used", campaign)
        _check_campaign(campaign, now)
    version_id = first.questionnaire_version_id
    questionnaire = qn.for_stored(
        version_id,
        first.content_hash,
        str(first.carried or ""),
        lambda: _definition(session, version_id),
    )
    return SubmissionTarget(
        invitation_id=invitation_id,
        campaign_id=campaign_id,
        questionnaire_version_id=version_id,
        questionnaire=questionnaire,
        specification_ids=tuple(r.specification_id for r in rows if r.specification_id is not None),
    )


@dataclass
class Answers:
    """What a respondent submitted, by item code (already read from the form)."""

    specification_id: int | None = None
    likert: dict[str, int] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


class SubmissionError(FeedbackError):
    pass


def check_answers(
    questionnaire: qn.Questionnaire, spec_ids: Iterable[int], answers: Answers
) -> None:
    """Refuse unknown items, out-of-range values and over-long comments.

    The survey form checks the same things field by field; this is the service's own guard.
    A submission without a single answer is refused too: it would use up the code and count
    as a response while saying nothing.
    """
    if not (
        answers.likert
        or any(answers.choices.values())
        or any(text.strip() for text in answers.texts.values())
    ):
        raise SubmissionError(
            str(
                _l(
                    "You have not answered any question. Please answer at least one; "
                    "your code stays valid until you do."
                )
            )
        )
    if answers.specification_id is not None and answers.specification_id not in set(spec_ids):
        raise SubmissionError(
            str(_l("Choose one of the micro-credentials listed.")), "specification"
        )
    for code, value in answers.likert.items():
        item = questionnaire.item(code)
        if item is None or not item.is_likert:
            raise SubmissionError(str(_l("Unknown question: %(code)s", code=code)), code)
        if value not in item.values:
            raise SubmissionError(
                str(_l("The answer to “%(q)s” is out of range.", q=item.prompt)), code
            )
    for code, chosen in answers.choices.items():
        item = questionnaire.item(code)
        if item is None or not item.is_choice:
            raise SubmissionError(str(_l("Unknown question: %(code)s", code=code)), code)
        if set(chosen) - item.option_codes or (item.type == qn.SINGLE and len(chosen) > 1):
            raise SubmissionError(
                str(_l("The answer to “%(q)s” is not one of the options.", q=item.prompt)), code
            )
    for code, text in answers.texts.items():
        item = questionnaire.item(code)
        if item is None or not item.is_text:
            raise SubmissionError(str(_l("Unknown question: %(code)s", code=code)), code)
        if len(text) > item.max_length:
            raise SubmissionError(
                str(_l("The comment is longer than %(n)d characters.", n=item.max_length)), code
            )
    for item in questionnaire.items:
        if item.required and not (
            item.code in answers.likert
            or answers.choices.get(item.code)
            or (answers.texts.get(item.code) or "").strip()
        ):
            raise SubmissionError(str(_l("Please answer “%(q)s”.", q=item.prompt)), item.code)


# The statements of a submission, built once (constructing them cost as much as running
# them); parameters are bound at execution.
_INSERT_RESPONSE = FeedbackResponse.__table__.insert()
_CONSUME: Any = None


def _consume_statement() -> Any:
    """``UPDATE … SET used WHERE NOT used`` of one invitation of a campaign still open.

    The parameters are not named after columns: an UPDATE's parameters named like a column
    would be taken as new values for it."""
    global _CONSUME
    if _CONSUME is None:
        inv = FeedbackInvitation.__table__
        now = bindparam("consume_now", type_=Campaign.__table__.c.opens_at.type)
        open_campaigns = select(Campaign.id).where(
            Campaign.opens_at <= now, Campaign.closes_at > now
        )
        _CONSUME = (
            update(inv)
            .where(
                inv.c.id == bindparam("consume_id", type_=Integer),
                inv.c.campaign_id == bindparam("consume_campaign", type_=Integer),
                inv.c.used.is_(False),
                inv.c.campaign_id.in_(open_campaigns),
            )
            .values(used=True)
        )
    return _CONSUME


def submit_response(session: Session, invitation: FeedbackInvitation, answers: Answers) -> None:
    """Store one anonymous response and use up the invitation, in the caller's transaction.

    ``invitation`` comes from :func:`usable_invitation` (or :func:`redeem`); whatever it
    looked like then, ``UPDATE … WHERE NOT used`` decides atomically: of two submissions
    with the same invitation (second tab, back button, replay, two requests at once), only
    the first stores anything; the second raises ``LinkProblem("used")``. Nothing about the
    invitation reaches the response, and nothing is audited (see the module docstring).
    """
    campaign = invitation.campaign
    target = SubmissionTarget(
        invitation_id=invitation.id,
        campaign_id=invitation.campaign_id,
        questionnaire_version_id=campaign.questionnaire_version_id,
        questionnaire=qn.for_version(campaign.questionnaire_version),
        specification_ids=tuple(campaign.specification_ids),
    )
    store_response(session, target, answers, campaign)


def store_response(
    session: Session,
    target: SubmissionTarget,
    answers: Answers,
    campaign: Campaign | None = None,
) -> None:
    """:func:`submit_response` for an invitation read by :func:`submission_target` (the
    same statements). ``campaign``, if loaded, goes with ``LinkProblem("used")``; without
    it, the campaign is loaded for that page only when it happens."""
    invitation_id, campaign_id = target.invitation_id, target.campaign_id
    questionnaire = target.questionnaire
    spec_ids = list(target.specification_ids)
    if answers.specification_id is None and len(spec_ids) == 1:
        answers.specification_id = spec_ids[0]
    check_answers(questionnaire, spec_ids, answers)
    now = utcnow()
    # Core statements on the session's connection (same transaction): the ORM layer of
    # Session.execute added a tenth of a millisecond to each, for nothing to track.
    connection = session.connection()
    consumed = precompiled.execute(
        connection,
        _consume_statement(),
        {"consume_id": invitation_id, "consume_campaign": campaign_id, "consume_now": now},
    )
    if consumed.rowcount != 1:
        raise LinkProblem("used", campaign or session.get(Campaign, campaign_id))
    _touch_decoys(session, campaign_id, invitation_id)
    # Core inserts, not ORM objects: nothing reads the response back, and a unit-of-work
    # flush per submission cost more than the statements themselves.
    response_id = new_response_id()
    precompiled.execute(
        connection,
        _INSERT_RESPONSE,
        {
            "id": response_id,
            "campaign_id": campaign_id,
            "questionnaire_version_id": target.questionnaire_version_id,
            "specification_id": answers.specification_id,
            "submitted_on": now.date(),
        },
    )
    rows: list[dict[str, object]] = []
    base = {
        "response_id": response_id,
        "campaign_id": campaign_id,
        "specification_id": answers.specification_id,
    }
    for code, value in answers.likert.items():
        rows.append({**base, "item_code": code, "choice": "", "value": value, "text": None})
    for code, chosen in answers.choices.items():
        for option in sorted(set(chosen)):
            rows.append({**base, "item_code": code, "choice": option, "value": None, "text": None})
    for code, text in answers.texts.items():
        if text.strip():
            rows.append(
                {**base, "item_code": code, "choice": "", "value": None, "text": text.strip()}
            )
    aggregates.write(
        session,
        [
            aggregates.Rows(FeedbackAnswer.__table__, rows),
            *aggregates.response_counts(campaign_id, answers.specification_id, rows),
        ],
    )


# Random draws a submission makes for decoys: used invitations are picked among that many
# ids of the campaign's id range (some fall on unused or other campaigns' ids).
DECOY_DRAWS = DECOY_TOUCHES * 4
# Draws are taken modulo the campaign's id span in SQL; below 2^62 the bias that leaves is
# under 2^-30 for any span this table can reach.
_DRAW_BITS = 62
_DECOY_UPDATE: Any = None


def _decoy_update() -> Any:
    """One statement that picks and re-writes the decoys (built once; parameters bound).

    The campaign's id range is found inside it (a MIN/MAX on the index), instead of by a
    round trip first. The picked rows are locked in id order (``ORDER BY id … FOR UPDATE``;
    SQLite locks the whole database and ignores the clause), so two submissions touching
    overlapping decoys take their row locks in the same order and cannot deadlock.
    """
    global _DECOY_UPDATE
    if _DECOY_UPDATE is None:
        inv = FeedbackInvitation.__table__
        campaign_id = bindparam("decoy_campaign", type_=Integer)
        # The range of the campaign's used ids: one MIN and one MAX, each a single step on
        # the (campaign, used, id) index (both in one SELECT would read every entry).
        ranged = inv.alias("ranged")
        of_campaign = (ranged.c.campaign_id == campaign_id, ranged.c.used.is_(True))
        low = select(func.min(ranged.c.id)).where(*of_campaign).scalar_subquery()
        high = select(func.max(ranged.c.id)).where(*of_campaign).scalar_subquery()
        bounds = select(low.label("low"), (high - low + 1).label("span")).subquery("bounds")
        # Each draw keeps its number: the first hits in draw order are the decoys, so the
        # choice is uniform over the used invitations (the lowest ids of the hits would
        # favour old invitations).
        draws = union_all(
            *(
                select(
                    literal(k, Integer).label("k"),
                    bindparam(f"draw{k}", type_=BigInteger).label("draw"),
                )
                for k in range(DECOY_DRAWS)
            )
        ).subquery("draws")
        candidates = (
            select(draws.c.k, (bounds.c.low + draws.c.draw % bounds.c.span).label("id"))
            .select_from(bounds.join(draws, true()))
            .subquery("candidates")
        )
        hits = (
            select(inv.c.id)
            .join(candidates, candidates.c.id == inv.c.id)
            .where(
                inv.c.campaign_id == campaign_id,
                inv.c.used.is_(True),
                inv.c.id != bindparam("decoy_skip", type_=Integer),
            )
            .order_by(candidates.c.k)
            .limit(DECOY_TOUCHES)
        )
        picked = select(inv.c.id).where(inv.c.id.in_(hits)).order_by(inv.c.id).with_for_update()
        _DECOY_UPDATE = update(inv).where(inv.c.id.in_(picked)).values(used=True)
    return _DECOY_UPDATE


def _touch_decoys(session: Session, campaign_id: int, invitation_id: int) -> int:
    """Re-write a few other used invitations of the campaign, picked at random, so that row
    versions (PostgreSQL ``xmin``, a row's place in the table) point to a crowd. Returns how
    many were re-written."""
    # One read of the system's random source, cut into uniform draws below 2^_DRAW_BITS
    # (the top bits of each 8 bytes), instead of one read per draw.
    pool = secrets.token_bytes(8 * DECOY_DRAWS)
    draws = {
        f"draw{k}": int.from_bytes(pool[8 * k : 8 * k + 8], "big") >> (64 - _DRAW_BITS)
        for k in range(DECOY_DRAWS)
    }
    result = precompiled.execute(
        session.connection(),
        _decoy_update(),
        {"decoy_campaign": campaign_id, "decoy_skip": invitation_id, **draws},
    )
    return int(result.rowcount)


@dataclass(frozen=True)
class SurveyContext:
    """What the survey page needs (plain data)."""

    campaign_id: int
    title: str
    provider: str
    kind: FeedbackKind
    closes_on: dt.date
    questionnaire: qn.Questionnaire
    specifications: list[SpecificationChoice]


def specification_choices(
    session: Session, specification_ids: Iterable[int], *, titles: bool = True
) -> list[SpecificationChoice]:
    """The micro-credentials a survey asks about, by title. ``titles=False`` skips looking
    up the titles when there is only one (a submission that goes through never shows them)."""
    ids = list(specification_ids)
    if titles or len(ids) > 1:
        names = specification_titles(session, ids)
    else:
        names = {sid: "" for sid in ids}
    return sorted(
        (SpecificationChoice(sid, t) for sid, t in names.items()),
        key=lambda c: (c.title.casefold(), c.id),
    )


def survey_context(
    session: Session, invitation: FeedbackInvitation, *, titles: bool = True
) -> SurveyContext:
    """What the survey page shows (``titles``: see :func:`specification_choices`)."""
    campaign = invitation.campaign
    return SurveyContext(
        campaign_id=campaign.id,
        title=campaign.title,
        provider=campaign.provider.display_name,
        kind=campaign.kind,
        closes_on=_last_day(campaign),
        questionnaire=qn.for_version(campaign.questionnaire_version),
        specifications=specification_choices(session, campaign.specification_ids, titles=titles),
    )


def last_day(campaign: Campaign) -> dt.date:
    return _last_day(campaign)
