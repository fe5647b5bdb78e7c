"""Values in the address that cannot name a row answer 404, not a database error.

Ids are ``INTEGER`` columns, 32-bit on PostgreSQL (which refuses a larger parameter with an
error, and SQLite overflows at 2^63). The portal's ``int`` URL converter therefore matches
only values that fit, so ``/providers/99999999999999999999/catalogue`` is simply an address
that does not exist; ``request.args.get(name, type=int)`` treats an oversized value as
missing, as it already treats ``abc``. Likewise a path segment holding a control character
(PostgreSQL refuses NUL in any text parameter) matches no route.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

# PostgreSQL's INTEGER, the type of every id column.
MAX_INT = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """Flask's ``int`` converter, limited to what an id column holds."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


class TextSegmentConverter(UnicodeConverter):
    """Flask's default ``string`` converter, without control characters."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


def bounded_int(value: Any) -> int:
    number = int(value)
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError("out of range")
    return number


class BoundedMultiDict(ImmutableMultiDict[str, str]):
    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        return super().get(key, default, bounded_int if type is int else type)


class PortalRequest(Request):
    parameter_storage_class = BoundedMultiDict
