"""Results of a campaign, and of a specification over time, computed in SQL.

The counting is done as answers arrive (:mod:`qaportal.feedback.aggregates`): the page
reads, per item, micro-credential, Likert value and chosen option, how many answers there
are — a handful of rows per item whatever the number of responses — instead of grouping
every answer on every view. Means and medians are read off those per-value counts, so no
response is ever loaded into Python; the number of queries does not grow with them either.
Free-text comments are not counted in advance: a page shows a bounded sample of them.

Thresholds: nothing but the response count is shown until a campaign has at least the
agency's threshold of responses (default 5); the same holds for every group of a breakdown
and for free-text comments. A group below the threshold is hidden together with, where
needed, the next-smallest groups, so that its figures cannot be worked out by subtracting
the visible groups from the total (secondary suppression, see :func:`suppressed`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from qaportal.feedback import aggregates
from qaportal.feedback import questionnaire as qn
from qaportal.feedback.models import (
    AnswerCount,
    Campaign,
    CampaignSpecification,
    FeedbackAnswer,
    FeedbackKind,
)
from qaportal.feedback.services import CampaignSummary, specification_titles, summaries
from qaportal.frameworks.localize import current_language, localized_title
from qaportal.frameworks.models import FrameworkVersion

COMMENTS_SHOWN = 50  # per question on the page; the CSV export has them all
K = TypeVar("K", bound=Hashable)


def suppressed(sizes: Mapping[K, int], threshold: int) -> set[K]:
    """The groups to hide: those below ``threshold``, and then the smallest visible ones
    until the hidden groups together are either empty or at least ``threshold`` strong."""
    hidden = {key for key, n in sizes.items() if n < threshold}
    visible = sorted((key for key in sizes if key not in hidden), key=lambda k: sizes[k])
    while visible and 0 < sum(sizes[k] for k in hidden) < threshold:
        hidden.add(visible.pop(0))
    return hidden


def mean_of(counts: Mapping[int, int]) -> float | None:
    n = sum(counts.values())
    if not n:
        return None
    return sum(value * count for value, count in counts.items()) / n


def median_of(counts: Mapping[int, int]) -> float | None:
    """The median of a distribution given as value → count (even n: mean of the middle two)."""
    n = sum(counts.values())
    if not n:
        return None
    wanted = [(n + 1) // 2, n // 2 + 1] if n % 2 == 0 else [(n + 1) // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and seen >= wanted[0]:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


# ----- plain data for the templates ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    value: int
    label: str
    count: int
    share: float  # 0..1 of the item's answers


@dataclass(frozen=True)
class LikertRow:
    code: str
    prompt: str
    n: int
    segments: list[Segment]
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class LikertBlock:
    scale: str
    levels: tuple[qn.Level, ...]
    rows: list[LikertRow]


@dataclass(frozen=True)
class OptionCount:
    code: str
    label: str
    count: int
    share: float  # of all responses


@dataclass(frozen=True)
class ChoiceResult:
    code: str
    prompt: str
    multiple: bool
    options: list[OptionCount]


@dataclass(frozen=True)
class CommentBlock:
    code: str
    prompt: str
    total: int
    comments: list[str]


@dataclass(frozen=True)
class Group:
    label: str
    n: int
    shown: bool
    means: dict[str, float | None]


@dataclass(frozen=True)
class Breakdown:
    title: str
    items: list[tuple[str, str]]  # (code, prompt) of the Likert items
    groups: list[Group]


@dataclass(frozen=True)
class CampaignResults:
    summary: CampaignSummary
    threshold: int
    questionnaire_title: str
    questionnaire_version: int
    likert: list[LikertBlock] = field(default_factory=list)
    choices: list[ChoiceResult] = field(default_factory=list)
    comments: list[CommentBlock] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def responses(self) -> int:
        return self.summary.responses

    @property
    def shown(self) -> bool:
        return self.responses >= self.threshold


# ----- one campaign -------------------------------------------------------------------------


def _response_sizes(session: Session, campaign_id: int) -> dict[int | None, int]:
    return aggregates.response_sizes(session, [campaign_id]).get(campaign_id, {})


def _likert_blocks(
    questionnaire: qn.Questionnaire, counts: Mapping[str, Mapping[int, int]]
) -> list[LikertBlock]:
    blocks: dict[str, LikertBlock] = {}
    for item in questionnaire.likert_items:
        dist = counts.get(item.code, {})
        n = sum(dist.values())
        segments = [
            Segment(
                lv.value, lv.label, dist.get(lv.value, 0), dist.get(lv.value, 0) / n if n else 0
            )
            for lv in item.levels
        ]
        block = blocks.setdefault(item.scale_code, LikertBlock(item.scale_code, item.levels, []))
        block.rows.append(
            LikertRow(item.code, item.prompt, n, segments, mean_of(dist), median_of(dist))
        )
    return list(blocks.values())


def _means(
    questionnaire: qn.Questionnaire, counts: Mapping[str, Mapping[int, int]]
) -> dict[str, float | None]:
    return {item.code: mean_of(counts.get(item.code, {})) for item in questionnaire.likert_items}


def comment_sample(campaign_id: int, item_code: str) -> Select[tuple[str | None]]:
    """The comments a results page shows for one question.

    Read in order from ``ix_feedback_answers_comments`` (a partial index whose condition is
    the ``text IS NOT NULL`` below) and cut at the LIMIT, so the cost does not grow with the
    number of comments.
    """
    return (
        select(FeedbackAnswer.text)
        .where(
            FeedbackAnswer.campaign_id == campaign_id,
            FeedbackAnswer.item_code == item_code,
            FeedbackAnswer.text.is_not(None),
        )
        # Random ids: a sample in no meaningful order, never the order of arrival.
        .order_by(FeedbackAnswer.response_id)
        .limit(COMMENTS_SHOWN)
    )


def _comments(
    session: Session, campaign_id: int, questionnaire: qn.Questionnaire, totals: Mapping[str, int]
) -> list[CommentBlock]:
    blocks = []
    for item in questionnaire.items:
        if not item.is_text:
            continue
        texts = [t for t in session.execute(comment_sample(campaign_id, item.code)).scalars() if t]
        blocks.append(CommentBlock(item.code, item.prompt, totals.get(item.code, 0), texts))
    return blocks


def _breakdown_by_item(
    session: Session,
    campaign_id: int,
    questionnaire: qn.Questionnaire,
    item: qn.Item,
    threshold: int,
    group_sizes: Mapping[str, int],
    responses: int,
    overall: Mapping[str, Mapping[int, int]],
) -> Breakdown:
    """Likert means per option of a single-choice item (e.g. the peer's type)."""
    per_group: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for group, code, value, count in aggregates.breakdown_counts(session, campaign_id, item.code):
        per_group[group][code][value] = count
    sizes: dict[str, int] = {o.code: group_sizes.get(o.code, 0) for o in item.options}
    sizes = {k: v for k, v in sizes.items() if v}
    not_stated = responses - sum(sizes.values())
    if not_stated:
        sizes[""] = not_stated
    if not_stated:
        # Those who did not answer the item: the total minus every option's answers.
        rest = per_group[""]
        for code, dist in overall.items():
            for value, count in dist.items():
                left = count - sum(per_group[g][code].get(value, 0) for g in sizes if g)
                if left:
                    rest[code][value] = left
    hidden = suppressed(sizes, threshold)
    groups = []
    for option in [*item.options, qn.Option("", str(_l("Not stated")))]:
        n = sizes.get(option.code, 0)
        if not n:
            continue
        shown = option.code not in hidden
        means = _means(questionnaire, per_group.get(option.code, {})) if shown else {}
        groups.append(Group(option.label, n, shown, means))
    return Breakdown(
        str(_l("By answer to “%(q)s”", q=item.prompt)),
        [(i.code, i.prompt) for i in questionnaire.likert_items],
        groups,
    )


def campaign_results(session: Session, campaign: Campaign, threshold: int) -> CampaignResults:
    """Everything the results page shows, in a fixed number of queries."""
    version: FrameworkVersion = campaign.questionnaire_version
    questionnaire = qn.for_version(version)
    summary = summaries(session, [campaign])[0]
    title = localized_title(version.definition, current_language(), version.title)
    results = CampaignResults(summary, threshold, title, version.number)
    if not results.shown:
        return results

    overall: dict[str, dict[int, int]] = defaultdict(dict)
    by_spec: dict[int | None, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    choices: dict[str, dict[str, int]] = defaultdict(dict)
    text_totals: dict[str, int] = defaultdict(int)
    for item_code, spec, value, choice, count in aggregates.answer_counts(session, campaign.id):
        if value is not None:
            overall[item_code][value] = overall[item_code].get(value, 0) + count
            by_spec[spec][item_code][value] = by_spec[spec][item_code].get(value, 0) + count
        elif choice:
            choices[item_code][choice] = choices[item_code].get(choice, 0) + count
        else:
            text_totals[item_code] += count

    results.likert.extend(_likert_blocks(questionnaire, overall))
    for item in questionnaire.items:
        if item.is_choice:
            got = choices.get(item.code, {})
            results.choices.append(
                ChoiceResult(
                    item.code,
                    item.prompt,
                    item.type == qn.MULTIPLE,
                    [
                        OptionCount(
                            o.code,
                            o.label,
                            got.get(o.code, 0),
                            got.get(o.code, 0) / results.responses,
                        )
                        for o in item.options
                    ],
                )
            )
    results.comments.extend(_comments(session, campaign.id, questionnaire, text_totals))

    if len(campaign.specifications) > 1:
        sizes = _response_sizes(session, campaign.id)
        hidden = suppressed(sizes, threshold)
        titles = specification_titles(session, campaign.specification_ids)
        groups = []
        for spec_id in sorted(sizes, key=lambda s: (s is None, titles.get(s, "") if s else "")):
            shown = spec_id not in hidden
            groups.append(
                Group(
                    titles[spec_id] if spec_id is not None else str(_l("Not stated")),
                    sizes[spec_id],
                    shown,
                    _means(questionnaire, by_spec.get(spec_id, {})) if shown else {},
                )
            )
        results.breakdowns.append(
            Breakdown(
                str(_l("By micro-credential")),
                [(i.code, i.prompt) for i in questionnaire.likert_items],
                groups,
            )
        )
    for item in questionnaire.breakdown_items:
        results.breakdowns.append(
            _breakdown_by_item(
                session,
                campaign.id,
                questionnaire,
                item,
                threshold,
                choices.get(item.code, {}),
                results.responses,
                overall,
            )
        )
    return results


# ----- one specification over time ----------------------------------------------------------


@dataclass(frozen=True)
class TrendCampaign:
    id: int
    title: str
    opens_on: dt.date
    n: int
    shown: bool


@dataclass(frozen=True)
class TrendRow:
    code: str
    prompt: str
    means: list[float | None]  # one per campaign, None when hidden or unanswered


@dataclass(frozen=True)
class Trend:
    kind: FeedbackKind
    campaigns: list[TrendCampaign]
    rows: list[TrendRow]
    threshold: int


def specification_trend(
    session: Session,
    provider_id: int,
    specification_id: int,
    kind: FeedbackKind,
    threshold: int,
) -> Trend:
    """Likert means of one specification in each campaign that surveyed it, oldest first."""
    campaigns = list(
        session.execute(
            select(Campaign)
            .join(CampaignSpecification, CampaignSpecification.campaign_id == Campaign.id)
            .where(
                Campaign.provider_id == provider_id,
                Campaign.kind == kind,
                CampaignSpecification.specification_id == specification_id,
            )
            .options(selectinload(Campaign.questionnaire_version))
            .order_by(Campaign.opens_at, Campaign.id)
        ).scalars()
    )
    ids = [c.id for c in campaigns]
    sizes: dict[int, dict[int | None, int]] = defaultdict(dict)
    counts: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    if ids:
        sizes.update(aggregates.response_sizes(session, ids))
        a = AnswerCount
        for cid, code, value, n in session.execute(
            select(a.campaign_id, a.item_code, a.value, a.count).where(
                a.campaign_id.in_(ids),
                a.specification_key == specification_id,
                a.is_value.is_(True),
            )
        ):
            counts[cid][code][value] = n
    columns = []
    for c in campaigns:
        groups = sizes.get(c.id, {})
        total = sum(groups.values())
        # The campaign as a whole must reach the threshold, and this group must survive
        # the same suppression as on the campaign's own results page.
        shown = (
            total >= threshold
            and groups.get(specification_id, 0) > 0
            and specification_id not in suppressed(groups, threshold)
        )
        columns.append(
            TrendCampaign(c.id, c.title, c.opens_at.date(), groups.get(specification_id, 0), shown)
        )
    items: dict[str, str] = {}
    for c in reversed(campaigns):  # the newest wording of each stable item code
        for item in qn.for_version(c.questionnaire_version).likert_items:
            items.setdefault(item.code, item.prompt)
    order = _item_order(campaigns)
    rows = [
        TrendRow(
            code,
            items[code],
            [
                mean_of(counts[c.id].get(code, {})) if col.shown else None
                for c, col in zip(campaigns, columns, strict=True)
            ],
        )
        for code in order
    ]
    return Trend(kind, columns, rows, threshold)


def _item_order(campaigns: Iterable[Campaign]) -> list[str]:
    order: list[str] = []
    for c in reversed(list(campaigns)):
        for item in qn.for_version(c.questionnaire_version).likert_items:
            if item.code not in order:
                order.append(item.code)
    return order
