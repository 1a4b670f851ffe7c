"""OLake auth: signup, login (cookie + JWT), auth check, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import CurrentUser, SessionDep, SettingsDep, bearer_or_cookie
from api.olake.schemas import Envelope, LoginIn, LoginOut, SignupIn, UserOut
from api.read_cache import keep_for_user
from api.services import accounts
from api.tokens import read_token
from metadata import users
from metadata.errors import Unauthorized

router = APIRouter(tags=["olake: auth"])


@router.post("/signup", response_model=Envelope[UserOut])
def signup(body: SignupIn, db: SessionDep, settings: SettingsDep) -> Envelope[UserOut]:
    user = accounts.sign_up(
        db, settings, username=body.username, password=body.password, email=body.email
    )
    return Envelope(message="user created", data=UserOut(username=user.username, email=user.email))


@router.post("/login", response_model=Envelope[LoginOut])
def login(
    body: LoginIn, request: Request, response: Response, db: SessionDep, settings: SettingsDep
) -> Envelope[LoginOut]:
    user, token = accounts.log_in(
        request, db, settings, username=body.username, password=body.password
    )
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite=settings.cookie_samesite,
        secure=settings.cookie_secure,
        path="/",
    )
    return Envelope(message="login successful", data=LoginOut(username=user.username, token=token))


@router.get("/auth", response_model=Envelope[UserOut])
@router.get("/auth/check", response_model=Envelope[UserOut])
async def check_auth(request: Request, user: CurrentUser, db: SessionDep) -> Envelope[UserOut]:
    keep_for_user(request, db, user.username)
    return Envelope(message="authenticated", data=UserOut(username=user.username, email=user.email))


@router.post("/logout", response_model=Envelope[None])
def logout(
    request: Request, response: Response, db: SessionDep, settings: SettingsDep
) -> Envelope[None]:
    token = bearer_or_cookie(request, settings)
    if token:
        try:
            claims = read_token(token, secret=request.app.state.secret_key)
        except Unauthorized:
            claims = None
        if claims:
            users.revoke_session(db, session_id=claims["sid"])
    response.delete_cookie(settings.cookie_name, path="/")
    return Envelope(message="logged out")
