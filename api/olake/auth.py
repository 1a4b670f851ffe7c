"""OLake auth: signup, login (cookie + JWT), auth check, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import CurrentUser, SessionDep, SettingsDep, bearer_or_cookie
from api.olake.schemas import Envelope, LoginIn, LoginOut, SignupIn, UserOut
from api.services.login_guard import guarded_login
from api.tokens import issue_token, read_token
from metadata import users
from metadata.errors import Unauthorized
from metadata.projects import add_member, ensure_project

router = APIRouter(tags=["olake: auth"])


@router.post("/signup", response_model=Envelope[UserOut])
def signup(body: SignupIn, db: SessionDep, settings: SettingsDep) -> Envelope[UserOut]:
    user = users.create_user(db, username=body.username, password=body.password, email=body.email)
    project = ensure_project(db, project_id=settings.default_project_id)
    add_member(db, project_id=project.id, user=user, role="admin")
    return Envelope(message="user created", data=UserOut(username=user.username, email=user.email))


@router.post("/login", response_model=Envelope[LoginOut])
def login(
    body: LoginIn, request: Request, response: Response, db: SessionDep, settings: SettingsDep
) -> Envelope[LoginOut]:
    user = guarded_login(
        request,
        body.username,
        lambda: users.authenticate(db, username=body.username, password=body.password),
    )
    session = users.create_session(db, user=user, days=settings.session_days)
    token = issue_token(
        secret=request.app.state.secret_key,
        username=user.username,
        session_id=session.id,
        expires_at=session.expires_at,
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
def check_auth(user: CurrentUser) -> Envelope[UserOut]:
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
