"""The HTTP response value shared by the API, the hosted page and the control endpoints."""

import json
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: dict | list, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, indent=2).encode(), headers=headers or {})


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    # 303 so the browser follows a POSTed form with a GET, as Checkout does.
    return Response(303, b"", "text/plain", {"Location": location})
