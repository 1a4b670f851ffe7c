"""Failed logins are counted per user and per IP; past either limit, logins wait (429)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from api.limits import FixedWindow
from metadata.errors import TooManyRequests, Unauthorized
from metadata.models import User
from metadata.settings import Settings


class LoginGuard:
    def __init__(self, settings: Settings) -> None:
        window = settings.login_window_seconds
        self.by_user = FixedWindow(settings.per_process(settings.login_failures_per_user), window)
        self.by_ip = FixedWindow(settings.per_process(settings.login_failures_per_ip), window)

    def check(self, request: Request, username: str) -> None:
        ip = request.client.host if request.client else "unknown"
        if (
            self.by_user.peek(username) >= self.by_user.limit
            or self.by_ip.peek(ip) >= self.by_ip.limit
        ):
            raise TooManyRequests("Too many failed logins; wait a few minutes and try again")

    def failed(self, request: Request, username: str) -> None:
        self.by_user.hit(username)
        self.by_ip.hit(request.client.host if request.client else "unknown")


def guarded_login(request: Request, username: str, attempt: Callable[[], User]) -> User:
    guard: LoginGuard = request.app.state.login_guard
    guard.check(request, username)
    try:
        return attempt()
    except Unauthorized:
        guard.failed(request, username)
        raise
