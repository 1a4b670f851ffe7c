"""orc-rust-ator auth: register and login; the same users and tokens as every dialect."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import SessionDep, SettingsDep
from api.orc.schemas import Credentials, Registered, Token
from api.services import accounts

router = APIRouter(prefix="/auth", tags=["orc-rust-ator: auth"])


@router.post("/register", response_model=Registered)
def register(body: Credentials, db: SessionDep, settings: SettingsDep) -> Registered:
    user = accounts.sign_up(db, settings, username=body.username, password=body.password)
    return Registered(username=user.username, message="User registered successfully")


@router.post("/login", response_model=Token)
def login(body: Credentials, request: Request, db: SessionDep, settings: SettingsDep) -> Token:
    _, token = accounts.log_in(
        request, db, settings, username=body.username, password=body.password
    )
    return Token(token=token)
