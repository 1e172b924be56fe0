"""What every page of the maintainer's page shares: the configuration, the guard, the
templates and the warm search, one `render` and one checked form reader. Each page is a
router of its own (`search_page`, `review_page`, `charts_page`); `app.create_app` wires
them behind the guard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from litradar.config import Config
from litradar.steps.search import WarmSearch
from litradar.web.security import CSRF_COOKIE, Guard

HERE = Path(__file__).resolve().parent


def safe_href(url: str | None) -> str:
    """Only http(s) links reach an href: a paper's URL comes from its record."""
    url = url or ""
    return url if url.startswith(("https://", "http://")) else "#"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.autoescape = True  # every template, whatever its name ends with
    env.filters["href"] = safe_href
    env.filters["pct"] = lambda v: "-" if v is None else f"{v:.2f}"
    env.globals["urlencode"] = urlencode
    env.globals["quote"] = quote
    return templates


@dataclass
class Pages:
    config: Config
    guard: Guard
    templates: Jinja2Templates
    searcher: WarmSearch  # the query encoder, loaded once for the page's life

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("error", None)
        context["csrf"] = self.guard.csrf_token(request.state.nonce)
        context["path"] = request.url.path
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    async def checked_form(self, request: Request) -> dict[str, str]:
        """The POSTed form, after its CSRF token matched this browser's cookie."""
        form = await request.form()
        sent = form.get("csrf")
        nonce = request.cookies.get(CSRF_COOKIE)
        if not self.guard.csrf_ok(nonce, sent if isinstance(sent, str) else None):
            raise StarletteHTTPException(
                403, "the form is out of date or did not come from this page: reload and retry"
            )
        return {k: v for k, v in form.items() if isinstance(v, str)}
