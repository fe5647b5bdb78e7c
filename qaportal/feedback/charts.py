"""Server-rendered SVG charts: stacked bars for Likert items.

No JavaScript and no inline styles (the CSP forbids both): colours and fonts are SVG
presentation attributes. Each chart is an ``<svg role="img">`` labelled by its own
``<title>`` and ``<desc>``; the page puts the same numbers in a table for screen readers.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from qaportal.feedback.results import CampaignResults, LikertBlock

# Diverging, colour-blind-safe (ColorBrewer RdBu), lowest to highest; text colour for each.
PALETTES: dict[int, list[tuple[str, str]]] = {
    2: [("#b2182b", "#ffffff"), ("#2166ac", "#ffffff")],
    3: [("#b2182b", "#ffffff"), ("#e0e0e0", "#1b1f24"), ("#2166ac", "#ffffff")],
    4: [
        ("#b2182b", "#ffffff"),
        ("#f4a582", "#1b1f24"),
        ("#92c5de", "#1b1f24"),
        ("#2166ac", "#ffffff"),
    ],
    5: [
        ("#b2182b", "#ffffff"),
        ("#f4a582", "#1b1f24"),
        ("#e0e0e0", "#1b1f24"),
        ("#92c5de", "#1b1f24"),
        ("#2166ac", "#ffffff"),
    ],
    7: [
        ("#b2182b", "#ffffff"),
        ("#d6604d", "#ffffff"),
        ("#f4a582", "#1b1f24"),
        ("#e0e0e0", "#1b1f24"),
        ("#92c5de", "#1b1f24"),
        ("#4393c3", "#1b1f24"),
        ("#2166ac", "#ffffff"),
    ],
}
_FALLBACK = ["#2166ac", "#4393c3", "#92c5de", "#e0e0e0", "#f4a582", "#d6604d", "#b2182b"]

WIDTH = 720
ROW = 46
BAR = 22
FONT = 'font-family="DejaVu Sans, sans-serif"'


def palette(levels: int) -> list[tuple[str, str]]:
    if levels in PALETTES:
        return PALETTES[levels]
    if levels == 6:
        return [c for i, c in enumerate(PALETTES[7]) if i != 3]
    return [(_FALLBACK[i % len(_FALLBACK)], "#1b1f24") for i in range(levels)]


def _short(text: str, limit: int = 95) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _legend_positions(labels: list[str], top: int) -> list[tuple[float, int, str]]:
    """Where each legend entry goes: left to right, wrapping onto a new line when full."""
    positions = []
    x, y = 0.0, top
    for label in labels:
        width = 18 + 7.2 * len(label) + 14  # swatch, text (about 7.2 px a character), gap
        if x > 0 and x + width > WIDTH:
            x, y = 0.0, y + 20
        positions.append((x, y, label))
        x += width
    return positions


def likert_chart(block: LikertBlock, chart_id: str, title: str, description: str) -> Markup:
    """Stacked horizontal bars, one per item, segments sized by each level's share."""
    colours = palette(len(block.levels))
    legend_y = len(block.rows) * ROW + 10
    legend = _legend_positions([_short(level.label, 34) for level in block.levels], legend_y)
    height = max(y for _x, y, _label in legend) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="likert-chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, row in enumerate(block.rows):
        y = index * ROW
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="13" fill="#1b1f24" {FONT}>'
            f"{escape(_short(row.prompt))} (n={row.n})</text>"
        )
        x = 0.0
        bar_y = y + 20
        if row.n == 0:
            parts.append(
                f'<rect x="0" y="{bar_y}" width="{WIDTH}" height="{BAR}" fill="none" '
                f'stroke="#c9d0da"/>'
            )
            continue
        for (fill, ink), segment in zip(colours, row.segments, strict=False):
            width = segment.share * WIDTH
            if width <= 0:
                continue
            parts.append(
                f'<rect x="{x:.2f}" y="{bar_y}" width="{width:.2f}" height="{BAR}" '
                f'fill="{fill}"><title>{escape(segment.label)}: {segment.count} '
                f"({segment.share:.0%})</title></rect>"
            )
            if width >= 34:
                parts.append(
                    f'<text x="{x + width / 2:.2f}" y="{bar_y + 15}" font-size="12" '
                    f'text-anchor="middle" fill="{ink}" {FONT}>{segment.share:.0%}</text>'
                )
            x += width
    for (fill, _ink), (x, y, label) in zip(colours, legend, strict=False):
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="14" height="14" fill="{fill}" '
            f'stroke="#4a5361" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{x + 18:.0f}" y="{y + 12}" font-size="12" fill="#1b1f24" '
            f"{FONT}>{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def result_charts(found: CampaignResults) -> list[Markup]:
    """One chart per Likert block of a campaign's results (the page and the PDF summary)."""
    from flask_babel import gettext as _

    out = []
    for index, block in enumerate(found.likert, start=1):
        scale = " / ".join(level.label for level in block.levels)
        out.append(
            likert_chart(
                block,
                f"likert-{index}",
                _("Answers to %(n)d statements", n=len(block.rows)),
                _(
                    "Stacked bars, one per statement, showing the share of each answer on "
                    "the scale %(scale)s. The table that follows gives the same numbers.",
                    scale=scale,
                ),
            )
        )
    return out
