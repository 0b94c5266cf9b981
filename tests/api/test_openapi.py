"""The API's OpenAPI 3.1 document (issue 22): valid under the OpenAPI schema, and naming
exactly the endpoints and methods the URLconf serves; a page to read it."""

import re

from django.test import Client
from django.urls import URLPattern, get_resolver
from openapi_spec_validator import validate

from leadflip.openapi import document

NOT_API = {"openapi", "docs"}  # the document and its page describe the API, not part of it


def served() -> set[tuple[str, str]]:
    """(path as in the document, method) for every API endpoint, by asking each URL."""
    api = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "api")
    found = set()
    for pattern in api.url_patterns:
        if not isinstance(pattern, URLPattern) or pattern.name in NOT_API:
            continue
        path = "/" + re.sub(r"<int:(\w+)>", "{id}", str(pattern.pattern))
        url = "/api/v1" + path.replace("{id}", "1")
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(Client(), method)(url)
            if response.status_code != 405:  # 401 without a key: the method is served
                found.add((path, method))
    return found


def test_the_document_is_valid_openapi_3_1():
    validate(document())


def test_the_document_names_exactly_the_endpoints_served():
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert documented == served()


def test_the_document_is_served_as_json():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"


def test_the_reference_page_lists_every_operation():
    page = Client().get("/api/v1/docs").content.decode()
    for path, item in document()["paths"].items():
        for method in item:
            if method != "parameters":
                assert f"{method.upper()} {path}" in page
