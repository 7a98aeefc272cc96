"""The JSON API's OpenAPI document read as a list of operations, for the tests that sweep
every endpoint (tests/api/test_openapi_sweep.py, tests/design/test_design_hostile_input.py).

`operations()` reads `api.get_openapi_schema()` as it stands, so a new endpoint reaches
those tests without touching them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sinergi.api import api

SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA["components"]["schemas"]


def ref_name(ref: str) -> str:
    """The component a `$ref` names: #/components/schemas/GoalIn → GoalIn."""
    return ref.rsplit("/", 1)[1]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, its `$ref`s followed to the component they name."""
    while "$ref" in schema:
        schema = COMPONENTS[ref_name(schema["$ref"])]
    return schema


@dataclass(frozen=True)
class Operation:
    method: str  # upper case: GET, POST, PUT, PATCH, DELETE
    path: str  # as in the document, e.g. /api/v1/partnerships/{slug}/goals/{pk}
    tags: tuple[str, ...]  # its router's
    body: str | None  # the JSON body's component name
    form: tuple[tuple[str, dict[str, Any]], ...]  # a multipart body's fields: name, schema
    path_params: tuple[str, ...]
    query_params: tuple[tuple[str, dict[str, Any], bool], ...]  # name, schema, required

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def id(self) -> str:
        """A short name: the method and the path below /api/v1."""
        return f"{self.method} {self.path.removeprefix('/api/v1')}"

    @property
    def under_partnership(self) -> bool:
        return self.path.startswith("/api/v1/partnerships/{slug}/")

    @property
    def under_organisation(self) -> bool:
        return self.path.startswith("/api/v1/organisations/{slug}/")


def operations() -> list[Operation]:
    """Every operation of the document, in its order."""
    found = []
    for path, methods in SCHEMA["paths"].items():
        for method, spec in methods.items():
            content = spec.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            form = content.get("multipart/form-data")
            params = spec.get("parameters", [])
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    tags=tuple(spec.get("tags", [])),
                    body=ref_name(body["schema"]["$ref"]) if body else None,
                    form=tuple(resolve(form["schema"])["properties"].items()) if form else (),
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(
                        (p["name"], p.get("schema", {}), bool(p.get("required")))
                        for p in params
                        if p["in"] == "query"
                    ),
                )
            )
    return found


# A parameter of a path in the document ({pk}) or of a Django URL route (<id:pk>).
PARAMETER = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>")


def parameters(route: str) -> Iterator[tuple[str, str]]:
    """(the path segment before it, its name) for each parameter of `route`, in order:
    /api/v1/partnerships/{slug}/goals/{pk} → ("partnerships", "slug"), ("goals", "pk")."""
    literal = ""
    for piece in re.split(r"(\{\w+\}|<[^>]+>)", route):
        match = PARAMETER.fullmatch(piece)
        if match is None:
            literal = piece.strip("/").rsplit("/", 1)[-1] or literal
            continue
        yield literal, match.group(1) or match.group(2)
