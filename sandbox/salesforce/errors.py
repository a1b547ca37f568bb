"""Salesforce REST error bodies: a JSON array of ``{"message", "errorCode"[, "fields"]}``."""

from __future__ import annotations

from sandbox.http import Response


class ApiError(Exception):
    """An error response of the REST API, raised by handlers and turned into a response."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, self.fields)


def error_body(code: str, message: str, fields: list[str] | None = None) -> dict:
    body: dict = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return body


def error_response(status: int, code: str, message: str,
                   fields: list[str] | None = None) -> Response:
    return Response.json(status, [error_body(code, message, fields)])


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def method_not_allowed(method: str, allowed: str) -> ApiError:
    return ApiError(405, "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


def invalid_session() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
