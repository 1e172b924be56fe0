"""The week's review (`/review`): the queue with accept / reject / skip, and the pull
request opened from it (`/review/propose`, `/review/proposed`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from litradar.core.errors import LitradarError
from litradar.curation.list_source import new_run
from litradar.storage.store import Store
from litradar.web import review
from litradar.web.pages import Pages


def router(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/review", response_class=HTMLResponse)
    def review_page(request: Request, digest: str = "", decided: str = "") -> HTMLResponse:
        from litradar.digests.generations import choose_digest, load
        from litradar.publish.pull_request import CHANNEL, load_proposals

        folder = pages.config.digests_dir
        stored = load(folder, choose_digest(folder, digest or None))
        queue = review.load_queue(pages.config, stored)
        proposals, _, rejected = load_proposals(pages.config, stored)
        with Store.open(pages.config.store_path) as store:
            pulls = store.deliveries(CHANNEL)
        return pages.render(
            request,
            "review.html",
            queue=queue,
            proposals=proposals,
            rejected=rejected,
            pulls=pulls,
            decided=next((item for item in queue.items if item.key == decided), None),
            github=pages.config.github.repository,
        )

    @router.post("/review/decide")
    async def review_decide(request: Request) -> Response:
        form = await pages.checked_form(request)
        name, key = form.get("digest", ""), form.get("key", "")
        action = form.get("action", "")
        # Storing may wait for another command's write lock: in a worker thread, so that
        # the event loop (every other request) does not wait with it.
        def store_it() -> None:
            from litradar.digests.generations import choose_digest, load

            folder = pages.config.digests_dir
            stored = load(folder, choose_digest(folder, name or None))
            review.decide(
                pages.config, stored, key, action, form.get("section"),
                form.get("short_name"), form.get("shown_short_name"),
            )  # fmt: skip

        await run_in_threadpool(store_it)
        # Post/redirect/get: a reload does not decide twice; the page shows what is stored.
        params = {"digest": name} | ({} if action == "skip" else {"decided": key})
        target = f"/review?{urlencode(params)}"
        following = form.get("next") or key
        return RedirectResponse(f"{target}#paper-{quote(following)}", status_code=303)

    proposed: dict[str, Any] = {}  # digest -> this page's last ProposeReport for it

    @router.post("/review/propose")
    async def review_propose(request: Request) -> Response:
        from litradar.publish.pull_request import propose

        form = await pages.checked_form(request)
        name = form.get("digest") or None
        new_run()  # a pull request is built on the base as it is now, not as first fetched
        # the code behind `litradar propose` (git, GitHub, the store's lock): off the loop
        report = await run_in_threadpool(propose, pages.config, name)
        proposed[report.name] = report
        # Post/redirect/get: a reload shows the outcome again, it does not propose again.
        target = f"/review/proposed?{urlencode({'digest': report.name})}"
        return RedirectResponse(target, status_code=303)

    @router.get("/review/proposed", response_class=HTMLResponse)
    def review_proposed(request: Request, digest: str = "") -> HTMLResponse:
        """The outcome of the last "open pull request" of this page, or after a restart
        the pull request the store records for the digest."""
        from litradar.publish.pull_request import recorded_report

        report = proposed.get(digest) or recorded_report(pages.config, digest)
        if report is None:
            raise LitradarError(f"no pull request has been opened for digest {digest!r}")
        return pages.render(request, "proposed.html", report=report)

    return router
