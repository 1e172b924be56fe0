"""The charts page (`/charts`) and each chart as SVG (`/charts/NAME.svg`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from litradar.web import charts
from litradar.web.pages import Pages


def router(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/charts", response_class=HTMLResponse)
    def charts_page(request: Request) -> HTMLResponse:
        figures = {name: build(pages.config) for name, build in charts.CHARTS.items()}
        return pages.render(request, "charts.html", figures=figures)

    @router.get("/charts/{name}.svg")
    def chart_svg(name: str) -> Response:
        build = charts.CHARTS.get(name)
        if build is None:
            raise StarletteHTTPException(404, "no such chart")
        return Response(charts.render_svg(build(pages.config), name), media_type="image/svg+xml")

    return router
