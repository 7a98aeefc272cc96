"""Every schema of the API has one name: two schema classes sharing a name would
overwrite each other in the OpenAPI document, and clients generated from it (and the docs
at /api/v1/docs) would describe one endpoint's body with another's."""

from __future__ import annotations

import pytest
from ninja import Schema

from sinergi.api import api


def _schema_classes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    seen: set[type] = set()
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("sinergi."):
            found.setdefault(cls.__name__, set()).add(cls.__module__)
    return found


def test_the_api_schema_names_are_unique():
    api.get_openapi_schema()  # imports every router
    clashes = {name: modules for name, modules in _schema_classes().items() if len(modules) > 1}
    assert clashes == {}


def test_each_schema_in_the_document_has_the_fields_of_its_class():
    # Where two classes shared a name, the document kept one and described every
    # response that used the other with the wrong fields.
    components = api.get_openapi_schema()["components"]["schemas"]
    classes = _classes_by_name()
    checked = 0
    for name, component in components.items():
        if name not in classes or "properties" not in component:
            continue
        # Bodies are documented by their aliases, responses by their field names.
        shapes = [
            set(classes[name].model_json_schema(by_alias=alias).get("properties", {}))
            for alias in (True, False)
        ]
        assert set(component["properties"]) in shapes, name
        checked += 1
    assert checked > 50


def _classes_by_name() -> dict[str, type]:
    found: dict[str, type] = {}
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("sinergi."):
            found[cls.__name__] = cls
    return found


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/partnerships/{slug}/finance/transactions/{pk}/decision", "post"),
        ("/api/v1/partnerships/{slug}/results/values/{pk}/approve", "post"),
    ],
)
def test_a_decision_body_is_described_by_its_own_schema(path, method):
    schema = api.get_openapi_schema()
    operation = schema["paths"][path][method]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    if "finance" in path:
        assert "decision" in body["properties"]
    else:
        assert "decision" not in body["properties"]
