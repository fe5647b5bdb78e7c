"""CSV exports of a campaign: the anonymised answers and the aggregates.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) gets a leading apostrophe. The answers export
lists responses in the order of their random ids (never the order of arrival), numbered
1..n, with the day they arrived; the micro-credential and breakdown answers of groups the
results page hides are left blank, so the export cannot undo the thresholds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import Campaign, FeedbackAnswer, FeedbackResponse
from qaportal.feedback.results import CampaignResults, suppressed
from qaportal.feedback.services import specification_titles
from qaportal.frameworks.models import FrameworkVersion

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _line(cells: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return buffer.getvalue()


def answers_csv(
    session: Session, campaign: Campaign, questionnaire: qn.Questionnaire, threshold: int
) -> Iterator[str]:
    """One row per response, one column per item (multiple choices joined with ``;``).

    Streams: responses and their answers are read in one ordered pass, a batch at a time.
    """
    items = questionnaire.items
    titles = specification_titles(session, campaign.specification_ids)
    sizes = dict(
        session.execute(
            select(FeedbackResponse.specification_id, func.count())
            .where(FeedbackResponse.campaign_id == campaign.id)
            .group_by(FeedbackResponse.specification_id)
        ).all()
    )
    hidden_specs = suppressed(sizes, threshold) if len(titles) > 1 else set()
    hidden_options: dict[str, set[str]] = {}
    total = sum(sizes.values())
    for item in questionnaire.breakdown_items:
        groups = dict(
            session.execute(
                select(FeedbackAnswer.choice, func.count())
                .where(
                    FeedbackAnswer.campaign_id == campaign.id,
                    FeedbackAnswer.item_code == item.code,
                )
                .group_by(FeedbackAnswer.choice)
            ).all()
        )
        if total - sum(groups.values()):
            groups[""] = total - sum(groups.values())
        hidden_options[item.code] = suppressed(groups, threshold)

    yield _line(
        [_("response"), _("submitted on"), _("micro-credential"), _("questionnaire version")]
        + [item.code for item in items]
    )
    yield _line(["", "", "", ""] + [item.prompt for item in items])
    rows = session.execute(
        select(
            FeedbackResponse.id,
            FeedbackResponse.submitted_on,
            FeedbackResponse.specification_id,
            FrameworkVersion.number,
            FeedbackAnswer.item_code,
            FeedbackAnswer.value,
            FeedbackAnswer.choice,
            FeedbackAnswer.text,
        )
        .join(FrameworkVersion, FrameworkVersion.id == FeedbackResponse.questionnaire_version_id)
        .outerjoin(FeedbackAnswer, FeedbackAnswer.response_id == FeedbackResponse.id)
        .where(FeedbackResponse.campaign_id == campaign.id)
        .order_by(FeedbackResponse.id, FeedbackAnswer.item_code, FeedbackAnswer.choice)
        .execution_options(yield_per=2000)
    )
    number = 0
    current: str | None = None
    head: list[object] = []
    cells: dict[str, list[str]] = {}

    def flush() -> str:
        values = []
        for item in items:
            got = cells.get(item.code, [])
            hidden = hidden_options.get(item.code, set())
            if got and got[0] in hidden:
                got = []  # a breakdown group the results page hides
            values.append(";".join(got))
        return _line(head + values)

    for rid, day, spec, version, code, value, choice, text in rows:
        if rid != current:
            if current is not None:
                yield flush()
            number += 1
            current = rid
            spec_label = "" if spec is None or spec in hidden_specs else titles.get(spec, "")
            # The label the campaign and results pages show, not the row id behind it.
            head = [number, day.isoformat(), spec_label, _("version %(n)d", n=version)]
            cells = {}
        if code is None:
            continue
        if value is not None:
            cells.setdefault(code, []).append(str(value))
        elif choice:
            cells.setdefault(code, []).append(choice)
        elif text is not None:
            cells.setdefault(code, []).append(text)
    if current is not None:
        yield flush()


def aggregates_csv(results: CampaignResults) -> Iterable[str]:
    """The figures of the results page, one row per item × level/option."""
    yield _line(
        [
            _("item"),
            _("question"),
            _("type"),
            _("level or option"),
            _("label"),
            _("count"),
            _("share"),
            _("answers"),
            _("mean"),
            _("median"),
        ]
    )
    for block in results.likert:
        for row in block.rows:
            for segment in row.segments:
                yield _line(
                    [
                        row.code,
                        row.prompt,
                        "likert",
                        segment.value,
                        segment.label,
                        segment.count,
                        f"{segment.share:.4f}",
                        row.n,
                        "" if row.mean is None else f"{row.mean:.3f}",
                        "" if row.median is None else f"{row.median:g}",
                    ]
                )
    for choice in results.choices:
        for option in choice.options:
            yield _line(
                [
                    choice.code,
                    choice.prompt,
                    "multiple_choice" if choice.multiple else "single_choice",
                    option.code,
                    option.label,
                    option.count,
                    f"{option.share:.4f}",
                    results.responses,
                    "",
                    "",
                ]
            )
    for block in results.comments:
        yield _line([block.code, block.prompt, "text", "", "", block.total, "", "", "", ""])
