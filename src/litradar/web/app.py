"""The maintainer's page: search, the week's review queue, the pull request, charts.

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
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.curation.list_source import new_run, read_list, refresh_every
from litradar.curation.taxonomy import Taxonomy
from litradar.steps.configured_inputs import load_configured_taxonomy
from litradar.steps.search import FindHit, WarmSearch
from litradar.storage.store import Store
from litradar.web import charts, review
from litradar.web.security import (
    CSRF_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Guard,
    cross_site,
    is_loopback,
)

HERE = Path(__file__).resolve().parent
# How deep find reads before the page's own filters (until, section, tag) thin it out.
FILTER_DEPTH = 200
MAX_K = 100
# What a wrong token costs its sender (an awaited sleep: nobody else waits with it).
LOGIN_DELAY_SECONDS = 0.5


def safe_href(url: str | None) -> str:
    """Only http(s) links reach an href: a paper's URL comes from its record."""
    url = url or ""
    return url if url.startswith(("https://", "http://")) else "#"


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.autoescape = True  # every template, whatever its name ends with
    env.filters["href"] = safe_href
    env.filters["pct"] = lambda v: "-" if v is None else f"{v:.2f}"
    env.globals["urlencode"] = urlencode
    env.globals["quote"] = quote
    return templates


def _taxonomy_classes(config: Config) -> list[tuple[str, str]]:
    """(dimension, class) of every taxonomy class, for the tag filter."""
    try:
        taxonomy: Taxonomy | None = load_configured_taxonomy(config)
    except LitradarError:
        return []
    if taxonomy is None:
        return []
    return [(d.name, c.name) for d in taxonomy.dimensions for c in d.classes]


def _sections(config: Config) -> list[str]:
    """The list's sections for the filter; none when the list cannot be read."""
    try:
        return read_list(config).awesome.section_names()
    except LitradarError:
        return []


# The page runs for days: it reads the list's repository again once its copy is this old.
LIST_REFRESH_SECONDS = 60.0


def _date(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LitradarError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def search(
    searcher: WarmSearch,
    query: str,
    k: int,
    since: date | None = None,
    until: date | None = None,
    section: str | None = None,
    tag: str | None = None,
    exclude: str | None = None,
) -> list[FindHit]:
    """`find`'s ranking (from `since` on), then the page's filters over its best
    FILTER_DEPTH: before `until` (exclusive), placed in `section`, tagged `tag` (its most
    probable class in some dimension); `exclude` leaves out one paper (similar papers)."""
    depth = FILTER_DEPTH if (until or section or tag) else k + (1 if exclude else 0)
    hits = searcher.find(query, k=depth, since=since)
    kept = []
    for hit in hits:
        if exclude and hit.paper.key == exclude:
            continue
        if until and hit.paper.first_version_date >= until:
            continue
        if section and hit.section != section:
            continue
        if tag and not any(ranked and ranked[0][0] == tag for ranked in hit.tags.values()):
            continue
        kept.append(hit)
    return kept[:k]


def create_app(config: Config, token: str | None = None, host: str = "127.0.0.1") -> FastAPI:
    """The page for `config`. On loopback without a token only loopback Host headers are
    answered; with a token every request signs in (see litradar.web.security)."""
    guard = Guard(token, loopback_only=is_loopback(host) and token is None)
    templates = _templates()
    app = FastAPI(
        title="litradar", docs_url=None, redoc_url=None, openapi_url=None, debug=False
    )
    app.state.config = config
    searcher = WarmSearch(config)  # the query encoder, loaded once for the page's life
    refresh_every(LIST_REFRESH_SECONDS)
    app.state.guard = guard
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("error", None)
        context["csrf"] = guard.csrf_token(request.state.nonce)
        context["path"] = request.url.path
        return templates.TemplateResponse(request, name, context, status_code=status)

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

    async def checked_form(request: Request) -> dict[str, str]:
        """The POSTed form, after its CSRF token matched this browser's cookie."""
        form = await request.form()
        sent = form.get("csrf")
        nonce = request.cookies.get(CSRF_COOKIE)
        if not guard.csrf_ok(nonce, sent if isinstance(sent, str) else None):
            raise StarletteHTTPException(
                403, "the form is out of date or did not come from this page: reload and retry"
            )
        return {k: v for k, v in form.items() if isinstance(v, str)}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "nonce"):
            return _secured(Response(f"{exc.detail}\n", exc.status_code, media_type="text/plain"))
        return page(request, "error.html", status=exc.status_code, message=str(exc.detail))

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
        form = await checked_form(request)
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

    @app.get("/", response_class=HTMLResponse)
    def search_page(
        request: Request,
        q: str = "",
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 20,
        since: str = "",
        until: str = "",
        section: str = "",
        tag: str = "",
        similar: str = "",
    ) -> HTMLResponse:
        start, end = _date(since, "since"), _date(until, "until")
        hits: list[FindHit] = []
        error, source = None, None
        try:
            if similar:
                with Store.open(config.store_path) as store:
                    source = store.by_key(similar)
                if source is None:
                    raise LitradarError(f"{similar} is not in the store")
                hits = search(searcher, source.text, k, start, end, section, tag, exclude=similar)
            elif q.strip():
                hits = search(searcher, q, k, start, end, section or None, tag or None)
        except LitradarError as exc:
            error = str(exc)
        sections = _sections(config)
        return page(
            request,
            "search.html",
            q=q,
            k=k,
            since=since,
            until=until,
            section=section,
            tag=tag,
            similar=source,
            hits=hits,
            error=error,
            sections=sections,
            classes=_taxonomy_classes(config),
            searched=bool(q.strip() or similar),
        )

    @app.get("/api/find")
    def api_find(
        q: str,
        k: Annotated[int, Query(ge=1, le=1000)] = 10,
        since: str = "",
    ) -> JSONResponse:
        """The records of `litradar find --json`, as one JSON array."""
        hits = searcher.find(q, k=k, since=_date(since, "since"))
        return JSONResponse([hit.as_record() for hit in hits])

    # the week's review ------------------------------------------------------------------

    @app.get("/review", response_class=HTMLResponse)
    def review_page(request: Request, digest: str = "", decided: str = "") -> HTMLResponse:
        from litradar.digests.digest import load
        from litradar.publish.pull_request import CHANNEL, load_proposals

        queue = review.load_queue(config, digest or None)
        proposals, _, rejected = load_proposals(config, load(config.digests_dir, queue.name))
        with Store.open(config.store_path) as store:
            pulls = store.deliveries(CHANNEL)
        return page(
            request,
            "review.html",
            queue=queue,
            proposals=proposals,
            rejected=rejected,
            pulls=pulls,
            decided=next((item for item in queue.items if item.key == decided), None),
            github=config.github.repository,
        )

    @app.post("/review/decide")
    async def review_decide(request: Request) -> Response:
        form = await checked_form(request)
        name, key = form.get("digest", ""), form.get("key", "")
        action = form.get("action", "")
        # Storing may wait for another command's write lock: in a worker thread, so that
        # the event loop (every other request) does not wait with it.
        await run_in_threadpool(
            review.decide, config, key, action, form.get("section"), form.get("short_name")
        )
        # Post/redirect/get: a reload does not decide twice; the page shows what is stored.
        params = {"digest": name} | ({} if action == "skip" else {"decided": key})
        target = f"/review?{urlencode(params)}"
        following = form.get("next") or key
        return RedirectResponse(f"{target}#paper-{quote(following)}", status_code=303)

    proposed: dict[str, Any] = {}  # digest -> this page's last ProposeReport for it

    @app.post("/review/propose")
    async def review_propose(request: Request) -> Response:
        from litradar.publish.pull_request import propose

        form = await checked_form(request)
        name = form.get("digest") or None
        new_run()  # a pull request is built on the base as it is now, not as first fetched
        # the code behind `litradar propose` (git, GitHub, the store's lock): off the loop
        report = await run_in_threadpool(propose, config, name)
        proposed[report.name] = report
        # Post/redirect/get: a reload shows the outcome again, it does not propose again.
        target = f"/review/proposed?{urlencode({'digest': report.name})}"
        return RedirectResponse(target, status_code=303)

    @app.get("/review/proposed", response_class=HTMLResponse)
    def review_proposed(request: Request, digest: str = "") -> HTMLResponse:
        """The outcome of the last "open pull request" of this page, or after a restart
        the pull request the store records for the digest."""
        from litradar.publish.pull_request import recorded_report

        report = proposed.get(digest) or recorded_report(config, digest)
        if report is None:
            raise LitradarError(f"no pull request has been opened for digest {digest!r}")
        return page(request, "proposed.html", report=report)

    # charts -----------------------------------------------------------------------------

    @app.get("/charts", response_class=HTMLResponse)
    def charts_page(request: Request) -> HTMLResponse:
        figures = {name: build(config) for name, build in charts.CHARTS.items()}
        return page(request, "charts.html", figures=figures)

    @app.get("/charts/{name}.svg")
    def chart_svg(name: str) -> Response:
        build = charts.CHARTS.get(name)
        if build is None:
            raise StarletteHTTPException(404, "no such chart")
        return Response(charts.render_svg(build(config), name), media_type="image/svg+xml")

    return app


def _secured(response: Response) -> Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response
