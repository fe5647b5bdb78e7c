"""Process-local memos of values derived from immutable inputs: a stored framework version's
parts, a questionnaire's form class, a statement's text. The values are cheap to rebuild and
their keys seldom change, so a memo is bounded by forgetting everything when it is full:
an LRU's bookkeeping on every hit would cost more than an occasional rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """A dict of at most ``max_size`` entries, emptied before a new key would exceed it."""

    def __init__(self, max_size: int) -> None:
        super().__init__()
        self.max_size = max_size

    def make_room(self, count: int) -> None:
        """Empties the memo unless ``count`` more entries fit: for a caller that then stores
        a batch and reads it back (a clear in the middle would lose part of it)."""
        if len(self) + count > self.max_size:
            self.clear()

    def put(self, key: K, value: V) -> V:
        if key not in self:
            self.make_room(1)
        self[key] = value
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        found = self.get(key)
        return found if found is not None else self.put(key, make())
