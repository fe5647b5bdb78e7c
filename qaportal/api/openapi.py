"""The OpenAPI 3.1 document, assembled from the operations the views declare and the JSON
Schema (2020-12, OpenAPI 3.1's own dialect) pydantic derives from the models in
:mod:`qaportal.api.schemas`: the document cannot drift from what the views validate.

A small generator of ours rather than a framework: the app factory and its blueprints stay
as they are, and the schemas come from pydantic's own ``models_json_schema``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from qaportal import __version__
from qaportal.api.schemas import MAX_ID, ErrorBody, Query

REF = "#/components/schemas/{model}"
_RULE_PARAM_RE = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    rule: str  # the Flask rule under the blueprint's prefix, e.g. "/decisions/<decision_id>"
    endpoint: str
    summary: str
    tag: str
    response: type[BaseModel]
    query: type[Query] | None = None
    # Path parameters that are database ids (integers); the others are strings.
    ids: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return _RULE_PARAM_RE.sub(r"{\2}", self.rule)

    def path_parameters(self) -> list[dict[str, Any]]:
        params = []
        for _converter, name in _RULE_PARAM_RE.findall(self.rule):
            schema: dict[str, Any] = (
                {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                if name in self.ids
                else {"type": "string", "minLength": 1, "maxLength": 36}
            )
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return params


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the ``null`` branch pydantic
    writes for optional fields, and the ``default: null`` that goes with it."""
    schema = dict(schema)
    options = schema.pop("anyOf", None)
    if options is not None:
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
    if schema.get("default", 0) is None:
        del schema["default"]
    schema.pop("title", None)
    return schema


def _query_parameters(model: type[Query], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation", ref_template=REF)
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        prop = _without_null(prop)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            param["description"] = prop.pop("description")
        param["schema"] = prop
        params.append(param)
    return params


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=ref)}}},
    }


_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": 'Entity tags of copies the client holds, or "*": 304 when one matches.',
    "schema": {"type": "string"},
}
_CACHE_HEADERS = {
    "ETag": {"description": "Strong entity tag of the body.", "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _operation(op: Operation, defs: dict[str, Any]) -> dict[str, Any]:
    params = op.path_parameters()
    if op.query is not None:
        params += _query_parameters(op.query, defs)
    params.append(_IF_NONE_MATCH)
    ok = _json(op.response.__name__, "OK")
    ok["headers"] = _CACHE_HEADERS
    responses: dict[str, Any] = {
        "200": ok,
        "304": {"description": "Not modified: the client's copy is current."},
        "400": _json("ErrorBody", "Unknown or invalid parameter, cursor or header."),
    }
    if op.path_parameters():
        responses["404"] = _json("ErrorBody", "No published object has this identifier.")
    return {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": responses,
    }


def document(operations: Iterable[Operation], *, base_path: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations``, served under ``base_path``."""
    operations = list(operations)
    models = {op.response for op in operations} | {ErrorBody}
    _, schemas = models_json_schema(
        [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
    )
    defs: dict[str, Any] = dict(schemas.get("$defs", {}))
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})["get"] = _operation(op, defs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qaportal public API",
            "version": __version__,
            "description": (
                "Read-only: published micro-credential specifications and the public "
                "register of accreditation decisions and reports. Lists are cursor-paginated "
                "(follow `next`); every answer carries a strong ETag."
            ),
        },
        "servers": [{"url": base_path}],
        "paths": paths,
        "components": {"schemas": dict(sorted(defs.items()))},
    }
