"""create_app(settings): routers of every dialect, CORS, error handlers, shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import IntegrityError

from api import health
from api.errors import install_error_handlers
from api.health import package_version
from api.limits import BodySizeLimit, FixedWindow, RateLimit
from api.olake import (
    auth,
    destinations,
    job_clear,
    job_logs,
    job_streams,
    jobs,
    platform,
    runs,
    sources,
)
from api.orc import auth as orc_auth
from api.orc import jobs as orc_jobs
from api.orc import runs as orc_runs
from api.read_cache import ReadCache
from api.services.callers import CallerCache
from api.services.listings import ListCache
from api.services.login_guard import LoginGuard
from api.ui import SinglePageApp
from metadata.db import make_engine, make_loop_engine, make_session_factory, session_scope
from metadata.projects import ensure_project
from metadata.secrets import cipher_for
from metadata.settings import Settings
from metadata.users import configure_hashing


def prefect_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value() or "http://127.0.0.1:4200/api")


def create_app(settings: Settings) -> FastAPI:
    configure_hashing(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    engine = make_engine(settings.sqlalchemy_url)
    session_factory = make_session_factory(engine)
    loop_engine = make_loop_engine(settings.sqlalchemy_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            with session_scope(session_factory) as db:
                ensure_project(db, project_id=settings.default_project_id)
        except IntegrityError:
            # Another API process (--workers 2) created it at the same moment: it is there now.
            with session_scope(session_factory) as db:
                ensure_project(db, project_id=settings.default_project_id)
        yield
        engine.dispose()
        if loop_engine is not None:
            loop_engine.dispose()

    app = FastAPI(
        title="prefect-olake",
        version=package_version(),
        description="Data ingestion on Prefect; a drop-in server for OLake's web UI.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.secret_key = settings.secret_key_value()
    app.state.cipher = cipher_for(app.state.secret_key)
    app.state.prefect_api_url = prefect_api_url()
    app.state.list_cache = ListCache()
    app.state.callers = CallerCache()

    install_error_handlers(app)
    routers = (
        health.router,
        auth.router,
        sources.streams_router,
        sources.router,
        destinations.router,
        jobs.router,
        runs.router,
        job_streams.router,
        job_logs.router,
        job_clear.router,
        platform.router,
        orc_auth.router,
        orc_jobs.router,
        orc_runs.router,
    )
    for router in routers:
        app.include_router(router)
    # Inside the UI (a browser navigating to a path gets the page, never a kept answer) and
    # the rate limit (answers served again are counted like any other).
    app.add_middleware(
        ReadCache,
        session_factory=session_factory,
        callers=app.state.callers,
        secret=app.state.secret_key,
        cookie_name=settings.cookie_name,
        loop_engine=loop_engine,
    )
    if settings.ui_dir is not None:
        app.add_middleware(SinglePageApp, directory=settings.ui_dir)
    app.state.login_guard = LoginGuard(settings)
    app.state.rate_limit = FixedWindow(settings.per_process(settings.rate_limit_per_minute), 60)
    app.add_middleware(
        RateLimit,
        window=app.state.rate_limit,
        secret=app.state.secret_key,
        cookie_name=settings.cookie_name,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Outermost, so that 413 and 429 answers carry CORS headers too.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Origin", "Content-Type", "Accept", "Authorization"],
        expose_headers=["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    )
    return app
