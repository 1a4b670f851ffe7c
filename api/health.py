"""Health: /health once the API is up; /health/detailed probes the database, Prefect and workers."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


def package_version() -> str:
    try:
        return version("prefect-olake")
    except PackageNotFoundError:
        return "0.0.0"


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "healthy", "service": "prefect-olake", "version": package_version()}


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
        status = "up"
    except Exception as exc:  # a probe reports what failed; it never raises
        detail = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        status = "down"
    result = {
        "status": status,
        "response_time_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    result.update(detail or {})
    return result


@router.get("/health/detailed")
def health_detailed(request: Request) -> JSONResponse:
    state = request.app.state
    prefect_url = state.prefect_api_url.rstrip("/")
    pool = state.settings.work_pool

    def database() -> dict[str, Any]:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"backend": state.engine.dialect.name}

    def prefect() -> dict[str, Any]:
        httpx.get(f"{prefect_url}/health", timeout=3).raise_for_status()
        return {"url": prefect_url}

    def workers() -> dict[str, Any]:
        response = httpx.post(f"{prefect_url}/work_pools/{pool}/workers/filter", json={}, timeout=3)
        response.raise_for_status()
        online = [w["name"] for w in response.json() if w.get("status") == "ONLINE"]
        if not online:
            raise RuntimeError(f"no online worker in work pool '{pool}'")
        return {"work_pool": pool, "online": len(online)}

    components = {
        "database": _timed(database),
        "prefect": _timed(prefect),
        "workers": _timed(workers),
    }
    healthy = all(c["status"] == "up" for c in components.values())
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "service": "prefect-olake",
        "version": package_version(),
        "components": components,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)
