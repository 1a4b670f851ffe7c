"""Domain errors -> each dialect's error body and status code, in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from metadata.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    Invalid: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyRequests: 429,
    Unavailable: 503,
}

# orc-rust-ator knows only 400, 401, 404 and 500: a clash is bad input, a foreign job unknown.
ORC_STATUS: dict[int, int] = {409: 400, 403: 404}

# Paths of the orc-rust-ator dialect; everything else speaks OLake's envelope.
ORC_PREFIXES = ("/auth/register", "/auth/login", "/jobs", "/runs")


def dialect_of(path: str) -> str:
    if any(path == prefix or path.startswith(prefix + "/") for prefix in ORC_PREFIXES):
        return "orc"
    return "olake"


def error_body(path: str, message: str) -> dict[str, Any]:
    if dialect_of(path) == "orc":
        return {"error": message}
    return {"success": False, "message": message}


def error_response(request: Request, status: int, message: str) -> JSONResponse:
    if dialect_of(request.url.path) == "orc":
        status = ORC_STATUS.get(status, status)
    return JSONResponse(error_body(request.url.path, message), status_code=status)


def _describe_validation(exc: RequestValidationError | ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            problems.append("request body is not valid JSON")
        else:
            problems.append(f"{location}: {message}" if location else message)
    return "Bad request: " + "; ".join(problems)


def install_error_handlers(app: FastAPI) -> None:
    def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return error_response(request, STATUS.get(type(exc), 400), exc.message)

    def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        return error_response(request, 400, _describe_validation(exc))

    def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        messages = {404: "Resource not found", 405: "Method not allowed"}
        message = exc.detail if isinstance(exc.detail, str) else messages.get(exc.status_code, "")
        if exc.status_code == 404 and message == "Not Found":
            message = "Resource not found"
        response = error_response(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    def on_database(request: Request, exc: Exception) -> JSONResponse:
        # The driver's own words, for the operator; the client gets the short form.
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        log.warning("metadata database unavailable on %s: %s", request.url.path, detail)
        return error_response(request, 503, "The metadata database is unavailable; try again")

    def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        # Two requests raced past the uniqueness check; the database had the last word.
        return error_response(request, 409, "Conflict: the name is already taken")

    def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "Internal server error")

    handlers: dict[type[Exception], Callable[[Request, Exception], JSONResponse]] = {
        DomainError: on_domain,
        RequestValidationError: on_validation,
        ValidationError: on_validation,
        StarletteHTTPException: on_http,
        IntegrityError: on_integrity,
        OperationalError: on_database,
        InterfaceError: on_database,
        Exception: on_unexpected,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)
