"""One page of a SQL query's rows: a count query and a limited query, whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """What ``macros.pagination`` needs: number, pages, has_prev, has_next; plus the rows."""

    number: int
    per_page: int
    total: int
    items: list[T] = field(default_factory=list)
    # Extra query arguments of the "Next" link: a keyset cursor where the query has one.
    next_args: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def window(self) -> list[int | None]:
        """The page numbers the pager shows: the first, the last and the current one with
        its neighbours, ``None`` where numbers are left out. Computed from those few, not by
        walking every page: a catalogue of 10,000 entries has 500 pages."""
        last = self.pages
        near = range(max(1, self.number - 1), min(last, self.number + 1) + 1)
        shown: list[int | None] = []
        previous = 0
        for n in sorted({1, last, *near}):
            if n - previous > 1:
                shown.append(None)
            shown.append(n)
            previous = n
        return shown


# Far beyond any real page; keeps OFFSET inside what the database accepts.
MAX_PAGE = 2**31 - 1


def page_number(value: Any) -> int:
    try:
        return min(max(1, int(value)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def paginate(
    session: Session, stmt: Select[Any], number: int, per_page: int, *, scalars: bool = False
) -> Page[Any]:
    """Run ``stmt`` (already ordered) for page ``number``; a page past the end shows the last."""
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    page = Page(number=1, per_page=per_page, total=total)
    page.number = min(max(1, number), page.pages)
    limited = stmt.limit(per_page).offset((page.number - 1) * per_page)
    result = session.execute(limited)
    page.items = list(result.scalars() if scalars else result.all())
    return page
