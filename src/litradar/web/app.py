"""The maintainer's page: search, the week's review queue, the pull request, charts.

`create_app` puts every page behind the guard (Host check, sign-in, CSRF, security
headers: litradar.web.security) and adds one router per page: `search_page`,
`review_page`, `charts_page` (what they share: `pages.Pages`); sign-in is here.

Every route calls the code the commands call (`litradar.steps.search.find`,
`labelling.record_label`, `pull_request.propose`); the page holds no logic of its own
beyond what to show. Paper text reaches HTML only through Jinja2 with autoescaping; no
page carries a script.

Importing this module imports neither torch nor matplotlib: the query encoder is loaded
on the first search and kept (`search.WarmSearch`), the charts import matplotlib on the
first chart.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.curation.list_source import refresh_every
from litradar.steps.search import WarmSearch
from litradar.web import charts_page, review_page, search_page
from litradar.web.pages import HERE, Pages, make_templates
from litradar.web.security import (
    CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Guard,
    cross_site,
    is_loopback,
)

# What a wrong token costs its sender (an awaited sleep: nobody else waits with it).
LOGIN_DELAY_SECONDS = 0.5


# The page runs for days: it reads the list's repository again once its copy is this old.
LIST_REFRESH_SECONDS = 60.0


def create_app(config: Config, token: str | None = None, host: str = "127.0.0.1") -> FastAPI:
    """The page for `config`. On loopback without a token only loopback Host headers are
    answered; with a token every request signs in (see litradar.web.security)."""
    guard = Guard(token, loopback_only=is_loopback(host) and token is None)
    app = FastAPI(
        title="litradar", docs_url=None, redoc_url=None, openapi_url=None, debug=False
    )
    app.state.config = config
    pages = Pages(config, guard, make_templates(), WarmSearch(config))
    page = pages.render
    refresh_every(LIST_REFRESH_SECONDS)
    app.state.guard = guard
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def protect(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not guard.host_allowed(request.headers.get("host")):
            return _secured(Response("unexpected Host header\n", 400, media_type="text/plain"))
        nonce = request.cookies.get(CSRF_COOKIE)
        fresh = nonce is None or len(nonce) > 64
        request.state.nonce = guard.new_nonce() if fresh else nonce
        public = request.url.path in ("/login",) or request.url.path.startswith("/static/")
        if not public and not guard.signed_in(
            request.cookies.get(SESSION_COOKIE), request.headers.get("authorization")
        ):
            if request.headers.get("authorization"):  # a wrong token: as at /login
                await asyncio.sleep(LOGIN_DELAY_SECONDS)
            if request.url.path.startswith("/api/"):
                response: Response = JSONResponse({"error": "sign in: a token is needed"}, 401)
            else:
                response = RedirectResponse("/login", status_code=303)
        elif request.method == "POST" and cross_site(request.headers, request.headers.get("host")):
            response = Response("cross-site request refused\n", 403, media_type="text/plain")
        else:
            response = await call_next(request)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE, request.state.nonce, httponly=True, samesite="strict", path="/"
            )
        return _secured(response)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "nonce"):
            return _secured(Response(f"{exc.detail}\n", exc.status_code, media_type="text/plain"))
        return page(request, "error.html", status=exc.status_code, message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_value(request: Request, exc: RequestValidationError) -> Response:
        """A query value out of range or missing (`k=0`, `k=abc`, no `q`): one line, 400,
        as every other bad value, not FastAPI's 422 JSON of pydantic's report."""
        return await user_error(request, LitradarError(_one_line(exc)))

    @app.exception_handler(LitradarError)
    async def user_error(request: Request, exc: LitradarError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, 400)
        return page(request, "error.html", status=400, message=str(exc))

    # sign in ----------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", needs_token=guard.needs_sign_in)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await pages.checked_form(request)
        if not guard.needs_sign_in:
            return RedirectResponse("/", status_code=303)
        if not guard.token_matches(form.get("token", "")):
            # A guess costs its sender time, awaited: other requests go on meanwhile.
            await asyncio.sleep(LOGIN_DELAY_SECONDS)
            return page(request, "login.html", status=403, needs_token=True, error="wrong token")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, guard.session_value(), httponly=True, samesite="strict", path="/"
        )
        return response

    # search -----------------------------------------------------------------------------

    app.include_router(search_page.router(pages))
    app.include_router(review_page.router(pages))
    app.include_router(charts_page.router(pages))

    return app


def _one_line(exc: RequestValidationError) -> str:
    """'k: Input should be greater than or equal to 1' for the first bad value."""
    errors = exc.errors()
    if not errors:
        return "bad request"
    first = errors[0]
    where = [str(part) for part in first.get("loc", ()) if part not in ("query", "body")]
    return f"{'.'.join(where) or 'request'}: {first.get('msg', 'bad value')}"


def _secured(response: Response) -> Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response
