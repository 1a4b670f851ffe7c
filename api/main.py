"""ASGI entry point for uvicorn: `uvicorn --factory api.main:make_app`."""

from fastapi import FastAPI

from api.app import create_app
from metadata.settings import get_settings


def make_app() -> FastAPI:
    return create_app(get_settings())
