"""Every JSON answer of the public API checked against the gateway's own OpenAPI document:
a field a route's response model does not name fails the check (public models forbid extras)."""

import re
from functools import cache

import httpx
from jsonschema import Draft202012Validator


class OpenApiChecker:
    """An httpx response hook for clients of ``/api/v1``."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                       for path in document["paths"]]
        self.checked = 0

    @classmethod
    def of(cls, gateway_url: str) -> "OpenApiChecker":
        return cls(httpx.get(f"{gateway_url}/api/v1/openapi.json", timeout=30).json())

    def template(self, path: str) -> str | None:
        matches = [template for pattern, template in self.routes if pattern.match(path)]
        # The most literal template wins (/traps/{id}/images over /traps/{id}).
        return max(matches, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t))) if matches else None

    @cache  # noqa: B019 - one checker per document, kept for the session
    def validator(self, template: str, method: str, status: str) -> Draft202012Validator | None:
        responses = self.document["paths"][template][method]["responses"]
        answer = responses.get(status) or responses.get("default")
        if answer is None:
            raise AssertionError(f"{method.upper()} {template} answered {status}, which its OpenAPI does not list")
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return None
        return Draft202012Validator({**schema, "components": self.document["components"]})

    def __call__(self, response: httpx.Response) -> None:
        path = response.request.url.path
        if not path.startswith("/api/v1/") or path.endswith("/openapi.json") or response.request.method == "HEAD":
            return  # a HEAD answer has headers only
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        template = self.template(path)
        assert template is not None, f"{path} is not in the OpenAPI document"
        response.read()
        validator = self.validator(template, response.request.method.lower(), str(response.status_code))
        assert validator is not None, f"{response.request.method} {template} {response.status_code} has no schema"
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: e.path)
        assert not errors, f"{response.request.method} {path} {response.status_code}: {errors[0].message}"
        self.checked += 1
