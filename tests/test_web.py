"""`litradar web`: a real uvicorn on 127.0.0.1 over a trained demo store (hashing encoder),
spoken to over HTTP by httpx and by a real headless Chromium (tests/browser.py); pull
requests go to the fake GitHub and a real bare git repository of tests/test_propose.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from html import unescape
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from litradar.cli import app as cli
from litradar.config import load_config
from litradar.core.errors import LitradarError
from litradar.curation.awesome_list import load_list, parse_list
from litradar.digests.generations import write_digest
from litradar.steps import search
from litradar.storage.store import Store
from litradar.web.app import create_app
from litradar.web.search_page import FILTER_DEPTH
from tests.browser import artifacts_dir, chromium, needs_chromium, serve
from tests.conftest import DEMO, make_paper, write_config
from tests.digests import build_digest
from tests.fake_github import FakeGitHub, git, make_remote
from tests.replay import ReplayServer
from tests.test_digest import scored
from tests.test_propose import LIST_TEXT, TOKEN, github_config

# Its module-scoped fixture is built once: all its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("test_web")

runner = CliRunner()
SCRIPT_TITLE = 'Heads <script>alert("xss")</script> & <img src=x onerror=alert(1)> in CLIP'
SVG_TITLE = "\"><svg onload=alert(2)> Steering ' OR 1=1 -- vectors in diffusion"
HOSTILE = [
    make_paper(
        SCRIPT_TITLE,
        abstract='We </textarea><script>document.title="pwned"</script> probe LLaVA '
        "attention heads & logit lens.",
        arxiv_id="2503.99001",
        first_version_date=date(2025, 3, 11),
    ),
    make_paper(
        SVG_TITLE,
        abstract="<iframe src=javascript:alert(3)></iframe> steering vectors for diffusion.",
        arxiv_id="2503.99002",
        first_version_date=date(2025, 3, 12),
    ),
]
REAL = {"2503.06287": 0.7, "2503.09446": 0.6, "2503.07050": 0.4}  # the last near the cut
SECRETS = {
    "GITHUB_TOKEN": TOKEN,
    "LITRADAR_SMTP_PASSWORD": "smtp-secret-pw-0987",
    "S2_API_KEY": "s2-secret-key-5555",
}


def _cli(project: Path, *args: str) -> str:
    result = runner.invoke(cli, [*args, "--config", str(project / "litradar.toml")])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def queue_base(trained_project: Path, tmp_path_factory) -> Path:
    """The trained demo store plus two hostile papers (indexed and scored, as search needs) and
    a digest for 2025-W11 whose queue holds both, three real papers, one near the cut."""
    project = tmp_path_factory.mktemp("web") / "project"
    shutil.copytree(trained_project, project)
    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:
        store.upsert(HOSTILE)
        real = [store.by_key(key) for key in REAL]
    _cli(project, "index")
    _cli(project, "train")  # scores them too, as the weekly run would
    items = [replace(scored(p, 0.9 - i / 10), section="Steering Vector") for i, p in enumerate(HOSTILE)]
    items += [scored(p, REAL[p.key]) for p in real if p is not None]
    awesome = load_list(DEMO / "awesome_list.md")
    digest = build_digest(items, awesome, date(2025, 3, 10), date(2025, 3, 17), 10, 0.5, "t")
    write_digest(digest, awesome, project / "digests")
    return project


@pytest.fixture
def project(queue_base: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(queue_base, copy)
    return copy


def _app(project: Path, **kwargs):  # type: ignore[no-untyped-def]
    return create_app(load_config(project / "litradar.toml", environ={}), **kwargs)


def _keys(html: str, prefix: str) -> list[str]:
    return re.findall(rf'id="{prefix}-([^"]+)"', html)


def _submit(driver, button) -> None:  # type: ignore[no-untyped-def]
    """Click a form's button and wait for the page it leads to."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(page))
    # And loaded: an element found while the new page was still being parsed could be
    # gone from it by the time it was clicked ("Node ... does not belong to the document").
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]  # type: ignore[index]


def test_api_find_returns_the_records_of_find_json(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    with serve(_app(project)) as base:
        answer = httpx.get(f"{base}/api/find", params={"q": "logit lens LLaVA", "k": 7})
        empty = httpx.get(f"{base}/api/find", params={"q": "  "})
        too_many = httpx.get(f"{base}/api/find", params={"q": "x", "k": 5000})
    assert answer.status_code == 200
    assert answer.json() == [h.as_record() for h in search.find(config, "logit lens LLaVA", 7)]
    printed = _cli(project, "find", "logit lens LLaVA", "-k", "7", "--json")
    assert answer.json() == [json.loads(line) for line in printed.splitlines()]
    assert empty.status_code == 400 and empty.json() == {"error": "empty query"}
    # One line, as every other bad value (was FastAPI's 422 JSON report)
    assert too_many.status_code == 400
    assert too_many.json() == {"error": "k: Input should be less than or equal to 1000"}


def test_search_filters_by_date_section_and_tag_and_finds_similar_papers(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    query = "sparse autoencoder features"
    ranked = search.find(config, query, k=FILTER_DEPTH)
    with serve(_app(project)) as base:

        def shown(**params: str) -> list[str]:
            page = httpx.get(f"{base}/", params={"q": query, "k": "5", **params})
            assert page.status_code == 200, page.text
            return _keys(page.text, "hit")

        assert shown() == [h.paper.key for h in search.find(config, query, k=5)]
        in_section = [h.paper.key for h in ranked if h.section == "Sparse Autoencoder"][:5]
        assert shown(section="Sparse Autoencoder") == in_section and in_section
        tagged = [h.paper.key for h in ranked if h.tags.get("technique", [[None]])[0][0]
                  == "sparse autoencoders"][:5]  # fmt: skip
        assert shown(tag="sparse autoencoders") == tagged and tagged
        window = [h.paper.key for h in search.find(config, query, FILTER_DEPTH, date(2025, 3, 12))
                  if h.paper.first_version_date < date(2025, 3, 14)][:5]  # fmt: skip
        assert shown(since="2025-03-12", until="2025-03-14") == window and window
        bad = httpx.get(f"{base}/", params={"q": query, "since": "March"})
        assert bad.status_code == 400 and "is not a date" in bad.text

        source = ranked[0].paper
        similar = httpx.get(f"{base}/", params={"similar": source.key, "k": "5"})
        expected = [h.paper.key for h in search.find(config, source.text, k=6)]
        assert _keys(similar.text, "hit") == [k for k in expected if k != source.key][:5]
        assert "Papers similar to" in similar.text and source.key not in _keys(similar.text, "hit")


def test_hostile_titles_and_abstracts_are_escaped_on_every_page(project: Path):
    with serve(_app(project)) as base:
        pages = {
            "search": httpx.get(f"{base}/", params={"q": "xss alert onerror", "k": 50}),
            "review": httpx.get(f"{base}/review"),
            "similar": httpx.get(f"{base}/", params={"similar": "2503.99001"}),
        }
    for name, page in pages.items():
        assert page.status_code == 200, name
        html = page.text
        for raw in ("<script", "<img", "<svg", "<iframe"):
            assert raw not in html.lower(), (name, raw)
        assert "&lt;script&gt;" in html, name
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert {"2503.99001", "2503.99002"} <= set(_keys(pages["search"].text, "hit"))
    review_html = pages["review"].text
    assert {"2503.99001", "2503.99002"} <= set(_keys(review_html, "paper"))
    assert unescape(SCRIPT_TITLE) in unescape(review_html)  # shown as text, whole


def test_a_post_without_the_pages_csrf_token_or_from_another_site_stores_nothing(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    form = {"digest": "2025-W11", "key": "2503.06287", "action": "reject"}
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        page = browser.get("/review")
        token = _csrf(page.text)
        missing = browser.post("/review/decide", data=form)
        forged = browser.post("/review/decide", data=form | {"csrf": "0" * 64})
        other_cookie = httpx.post(f"{base}/review/decide", data=form | {"csrf": token},
                                  cookies={"litradar_csrf": "someone-else"})  # fmt: skip
        cross = browser.post("/review/decide", data=form | {"csrf": token},
                             headers={"Origin": "http://evil.example"})  # fmt: skip
        assert [r.status_code for r in (missing, forged, other_cookie, cross)] == [403] * 4
        with Store.open(config.store_path) as store:
            assert store.labels() == []
        done = browser.post("/review/decide", data=form | {"csrf": token})
        assert done.status_code == 303
        assert done.headers["location"].startswith("/review?digest=2025-W11&decided=2503.06287")
        unknown = browser.post("/review/decide", data=form | {"csrf": token, "key": "2503.00000"})
        assert unknown.status_code == 400 and "review queue" in unknown.text
        bad_section = browser.post(
            "/review/decide",
            data=form | {"csrf": token, "action": "accept", "section": "<b>Nope</b>"},
        )
        assert bad_section.status_code == 400 and "&lt;b&gt;Nope&lt;/b&gt;" in bad_section.text
    with Store.open(config.store_path) as store:
        assert [(x["key"], x["relevant"], x["origin"]) for x in store.labels()] == [
            ("2503.06287", False, "web")
        ]


def test_only_loopback_host_headers_are_answered_on_loopback(project: Path):
    with serve(_app(project)) as base:
        rebound = httpx.get(f"{base}/review", headers={"Host": "evil.example:80"})
        local = httpx.get(f"{base}/review", headers={"Host": "localhost:8765"})
    assert rebound.status_code == 400 and "2503.06287" not in rebound.text
    assert local.status_code == 200


def test_with_a_token_every_page_needs_it_and_no_secret_reaches_a_page(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    web_token = "web-token-abcdefghijklmnop"
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LITRADAR_WEB_TOKEN", web_token)
    secrets = [*SECRETS.values(), web_token]
    seen: list[str] = []
    with serve(_app(project, token=web_token, host="0.0.0.0")) as base:
        assert httpx.get(f"{base}/review").headers["location"] == "/login"
        assert httpx.get(f"{base}/api/find", params={"q": "clip"}).status_code == 401
        bearer = httpx.get(f"{base}/api/find", params={"q": "clip"},
                           headers={"Authorization": f"Bearer {web_token}"})  # fmt: skip
        assert bearer.status_code == 200 and bearer.json()
        with httpx.Client(base_url=base) as browser:
            login = browser.get("/login")
            wrong = browser.post("/login", data={"csrf": _csrf(login.text), "token": "guess"})
            assert wrong.status_code == 403 and browser.get("/review").status_code == 303
            signed = browser.post("/login", data={"csrf": _csrf(login.text), "token": web_token})
            assert signed.status_code == 303
            for path in ("/", "/?q=steering+vectors", "/review", "/charts", "/charts/papers.svg",
                         "/charts/decisions.svg", "/charts/quality.svg", "/api/find?q=clip",
                         "/review?digest=nope", "/nowhere"):  # fmt: skip
                page = browser.get(path)
                assert page.status_code in (200, 400, 404), path
                seen += [page.text, json.dumps(dict(page.headers))]
            proposed = browser.post(  # no [github] repository: one line, no secret
                "/review/propose", data={"csrf": _csrf(login.text), "digest": "2025-W11"}
            )
            assert proposed.status_code == 400 and "[github] repository" in proposed.text
            seen += [login.text, wrong.text, proposed.text, json.dumps(dict(browser.cookies))]
    for text in seen:
        for secret in secrets:
            assert secret not in text


def test_litradar_web_refuses_another_host_without_a_token(project: Path):
    args = ["web", "--config", str(project / "litradar.toml")]
    exposed = runner.invoke(cli, [*args, "--host", "0.0.0.0"], env={"LITRADAR_WEB_TOKEN": ""})
    assert exposed.exit_code == 1 and "set $LITRADAR_WEB_TOKEN" in exposed.output
    assert "Traceback" not in exposed.output
    weak = runner.invoke(cli, [*args, "--host", "0.0.0.0"], env={"LITRADAR_WEB_TOKEN": "short"})
    assert weak.exit_code == 1 and "shorter than 16 characters" in weak.output


def test_litradar_web_serves_and_starts_without_torch_or_matplotlib(project: Path, tmp_path: Path):
    """The real command in its own process; then, in another, what importing it costs."""
    from tests.browser import free_port

    port = free_port()
    litradar = Path(sys.executable).with_name("litradar")
    server = subprocess.Popen(
        [str(litradar), "web", "--port", str(port), "--config", str(project / "litradar.toml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/review", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()  # type: ignore[union-attr]
                time.sleep(0.1)
        assert page.status_code == 200 and "Review digest 2025-W11" in page.text
        busy = runner.invoke(cli, ["web", "--port", str(port),
                                   "--config", str(project / "litradar.toml")])  # fmt: skip
        assert busy.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.output
    finally:
        server.terminate()
        server.wait(timeout=20)
    probe = (
        "import sys; from litradar.cli import app; from litradar.web.app import create_app; "
        "from litradar.config import load_config; from pathlib import Path; "
        f"create_app(load_config(Path({str(project / 'litradar.toml')!r}))); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'matplotlib') "
        "if m in sys.modules))"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "[]"


def test_a_posted_key_with_spaces_keeps_its_short_name_with_its_label(project: Path):
    """The label was stored under the stripped key, the short name under the raw one,
    where nothing reads it."""
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        token = _csrf(browser.get("/review").text)
        data = {"csrf": token, "digest": "2025-W11", "key": " 2503.06287 ", "action": "accept",
                "section": "Logit Lens", "short_name": "MyName"}  # fmt: skip
        assert browser.post("/review/decide", data=data).status_code == 303
    with Store.open(load_config(project / "litradar.toml", environ={}).store_path) as store:
        assert store.short_names() == {"2503.06287": "MyName"}
        assert [r["key"] for r in store.labels()] == ["2503.06287"]


def test_charts_show_papers_decisions_and_quality_per_week(project: Path):
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        token = _csrf(browser.get("/review").text)
        for key, action in (("2503.06287", "accept"), ("2503.99002", "reject")):
            data = {"csrf": token, "digest": "2025-W11", "key": key, "action": action,
                    "section": "Logit Lens", "short_name": ""}  # fmt: skip
            assert browser.post("/review/decide", data=data).status_code == 303
        page = browser.get("/charts")
        svgs = {name: browser.get(f"/charts/{name}.svg") for name in ("papers", "decisions", "quality")}
        missing = browser.get("/charts/secrets.svg")
    assert page.status_code == 200 and missing.status_code == 404
    for name, svg in svgs.items():
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml", name
        assert svg.text.lstrip().startswith("<?xml") and "<script" not in svg.text
        assert f'src="/charts/{name}.svg"' in page.text
    figures = re.sub(r"\s+", " ", page.text)
    assert "<th>2025-W11</th>" in figures and "<th>read</th><td>5</td>" in figures
    assert "<th>proposed</th><td>4</td>" in figures
    this_week = date.today().isocalendar()
    assert f"<th>{this_week.year}-W{this_week.week:02d}</th>" in figures
    assert "<th>accepted</th><td>1</td>" in figures and "<th>rejected</th><td>1</td>" in figures
    assert "<th>relevance precision</th>" not in figures  # named by the figure's key below
    assert re.search(r"<th>precision</th><td>[0-9.]+</td>", figures)  # the demo's train


def test_opening_the_pull_request_redirects_so_a_reload_does_not_post_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    remote = make_remote(tmp_path, LIST_TEXT)
    with ReplayServer() as github:
        fake = FakeGitHub(github)
        write_config(project, extra=github_config(github, remote))
        config = load_config(project / "litradar.toml", environ={})
        with serve(create_app(config)) as base, httpx.Client(base_url=base) as browser:
            token = _csrf(browser.get("/review").text)
            assert browser.get("/review/proposed?digest=2025-W11").status_code == 400
            posted = browser.post("/review/propose", data={"csrf": token, "digest": "2025-W11"})
            assert posted.status_code == 303
            assert posted.headers["location"] == "/review/proposed?digest=2025-W11"
            shown = browser.get(posted.headers["location"])
            reload = browser.get(posted.headers["location"])
            assert shown.status_code == reload.status_code == 200
            assert "#1</a> opened:" in shown.text and shown.text == reload.text
        # After a restart the page shows what the store records.
        with serve(create_app(config)) as base:
            recorded = httpx.get(f"{base}/review/proposed?digest=2025-W11")
            assert recorded.status_code == 200 and "#1</a> recorded:" in recorded.text
    assert len(fake.pulls) == 1
    assert [s.method for s in github.seen].count("POST") == 1


@needs_chromium
def test_in_chromium_search_accept_reject_skip_reload_and_open_the_pull_request(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    remote = make_remote(tmp_path, LIST_TEXT)
    with ReplayServer() as github, chromium() as driver:
        fake = FakeGitHub(github)
        write_config(project, extra=github_config(github, remote))
        config = load_config(project / "litradar.toml", environ={})
        with serve(create_app(config)) as base:
            # Search, then a result's similar papers.
            driver.get(f"{base}/")
            box = driver.find_element(By.NAME, "q")
            box.send_keys("attention heads LLaVA")
            _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.search button"))
            hits = driver.find_elements(By.CSS_SELECTOR, "ol.results li.paper")
            assert hits and driver.find_element(By.ID, "count").text.endswith("results")
            first_title = hits[0].find_element(By.CSS_SELECTOR, "a.title").text
            _submit(driver, hits[0].find_element(By.LINK_TEXT, "similar papers"))
            assert first_title in driver.find_element(By.CSS_SELECTOR, "h1.similar-to").text

            # The week's queue: accept one into a section under a new name, reject, skip.
            driver.get(f"{base}/review")
            assert driver.execute_script("return document.scripts.length") == 0
            paper = driver.find_element(By.ID, "paper-2503.06287")
            Select(paper.find_element(By.NAME, "section")).select_by_visible_text("Logit Lens")
            name = paper.find_element(By.NAME, "short_name")
            name.clear()
            name.send_keys("FewHeads")
            _submit(driver, paper.find_element(By.CSS_SELECTOR, "button.accept"))
            assert "accepted in Logit Lens" in driver.find_element(By.ID, "stored").text
            rejected = driver.find_element(By.ID, "paper-2503.99001")
            _submit(driver, rejected.find_element(By.CSS_SELECTOR, "button.reject"))
            assert "rejected" in driver.find_element(By.ID, "stored").text
            skipped = driver.find_element(By.ID, "paper-2503.09446")
            _submit(driver, skipped.find_element(By.CSS_SELECTOR, "button.skip"))
            assert driver.current_url.endswith("#paper-2503.07050")  # on to the next paper
            assert not driver.find_elements(By.ID, "stored")

            with Store.open(config.store_path) as store:
                labels = {x["key"]: (x["relevant"], x["section"], x["origin"]) for x in store.labels()}
                names = store.short_names()
            assert labels == {
                "2503.06287": (True, "Logit Lens", "web"),
                "2503.99001": (False, None, "web"),
            }
            assert names == {"2503.06287": "FewHeads"}

            driver.get(f"{base}/review")  # a fresh load shows what is stored
            decisions = {
                e.get_attribute("data-key"): e.text
                for e in driver.find_elements(By.CSS_SELECTOR, "p.decision")
            }
            assert decisions == {
                "2503.06287": "accepted in Logit Lens (web)",
                "2503.99001": "rejected (web)",
            }
            assert driver.find_element(By.ID, "undecided").text == "3"
            kept = driver.find_element(By.ID, "paper-2503.06287")
            assert kept.find_element(By.NAME, "short_name").get_attribute("value") == "FewHeads"
            assert driver.title == "litradar: review 2025-W11"  # not "pwned"
            driver.save_screenshot(str(artifacts_dir() / "web-review.png"))
            preview = {
                row.get_attribute("data-key")
                for row in driver.find_elements(By.CSS_SELECTOR, "table.proposals tr[data-key]")
            }
            assert preview == {"2503.06287", "2503.99002", "2503.09446"}

            _submit(driver, driver.find_element(By.CSS_SELECTOR, "button.propose"))
            outcome = driver.find_element(By.ID, "outcome").text
            assert "Pull request #1 opened: 3 paper(s)" in outcome
            assert "2503.99001: rejected by the maintainer (web)" in driver.page_source
            driver.get(f"{base}/review")
            assert "waiting for review" in driver.find_element(By.CSS_SELECTOR, "table.pulls").text

    [pull] = fake.pulls
    branch = parse_list(git(remote, "show", "litradar/2025-W11:README.md"))
    added = {e.arxiv_id: (e.section_name, e.short_name) for e in branch.entries
             if e.arxiv_id in {"2503.06287", "2503.99001", "2503.99002", "2503.09446"}}  # fmt: skip
    assert added["2503.06287"] == ("Logit Lens", "FewHeads")
    assert "2503.99001" not in added and set(added) == {"2503.06287", "2503.99002", "2503.09446"}
    assert "accepted by the maintainer (web)" in pull["body"]
    assert "\\<svg onload" in pull["body"] and "<svg" not in pull["body"].replace("\\<", "")
    trained = _cli(project, "train")
    assert "maintainer decisions learned from: 1 accepted, 1 rejected" in trained


def test_what_counts_as_loopback_and_as_another_site():
    from litradar.web.security import Guard, check_binding, cross_site, host_name, is_loopback

    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "0.0.0.0",
                                     "192.168.1.5", "evil.localhost.example")] == [
        True, True, True, True, False, False, False]  # fmt: skip
    assert host_name("[::1]:8765") == "::1" and host_name("LocalHost:80") == "localhost"
    guard = Guard(None, loopback_only=True)
    assert guard.host_allowed("127.0.0.1:8765") and not guard.host_allowed("127.0.0.1.nip.io")
    assert not guard.host_allowed(None)
    here = "127.0.0.1:8765"
    assert not cross_site({}, here)  # a script without a browser's headers
    assert not cross_site({"sec-fetch-site": "same-origin", "origin": f"http://{here}"}, here)
    assert cross_site({"sec-fetch-site": "cross-site"}, here)
    assert cross_site({"origin": "http://evil.example"}, here)
    assert cross_site({"origin": "null"}, here)
    nonce = guard.new_nonce()
    assert guard.csrf_ok(nonce, guard.csrf_token(nonce))
    assert not guard.csrf_ok(nonce, Guard(None, True).csrf_token(nonce))  # another process
    assert not guard.csrf_ok(None, guard.csrf_token(nonce)) and not guard.csrf_ok(nonce, "")
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", "x" * 16)


# slow work does not hold the server (issue 20, G2) --------------------------------------


def test_a_decision_waiting_for_the_stores_write_lock_does_not_hold_other_requests(
    project: Path,
):
    """`train` or `ingest` holds the store's write lock: a decision waits for it, in a
    worker thread, while every other request of every browser is answered."""
    import sqlite3
    import threading

    config = load_config(project / "litradar.toml", environ={})
    form = {"digest": "2025-W11", "key": "2503.06287", "action": "reject"}
    with serve(_app(project)) as base, httpx.Client(base_url=base, timeout=120) as browser:
        token = _csrf(browser.get("/review").text)
        holder = sqlite3.connect(config.store_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # what a long write of another command does
        answers: list[int] = []
        waiting = threading.Thread(
            target=lambda: answers.append(
                browser.post("/review/decide", data=form | {"csrf": token}).status_code
            )
        )
        try:
            waiting.start()
            waiting.join(timeout=1.0)  # it has reached the lock and waits there
            assert waiting.is_alive() and answers == []
            other = httpx.get(f"{base}/login", timeout=10)  # another browser, meanwhile
            found = httpx.get(f"{base}/api/find", params={"q": "clip"}, timeout=10)
            assert other.status_code == 200 and found.status_code == 200
            assert waiting.is_alive()  # the decision still waits: nothing was serialised
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        waiting.join(timeout=60)
    assert answers == [303]  # and it went through once the lock was free
    with Store.open(config.store_path) as store:
        assert [x["key"] for x in store.labels()] == ["2503.06287"]


def test_a_wrong_login_waits_without_holding_other_requests(project: Path, monkeypatch):
    """A wrong token costs its sender time (an awaited sleep), not everyone else."""
    import threading

    from litradar.web import app as web_app

    monkeypatch.setattr(web_app, "LOGIN_DELAY_SECONDS", 60.0)
    web_token = "web-token-abcdefghijklmnop"
    bearer = {"Authorization": f"Bearer {web_token}"}
    app = _app(project, token=web_token, host="0.0.0.0")
    with serve(app) as base, httpx.Client(base_url=base, timeout=120) as guesser:
        token = _csrf(guesser.get("/login").text)
        guess = threading.Thread(
            target=guesser.post, args=("/login",), kwargs={"data": {"csrf": token, "token": "x"}}
        )
        guess.daemon = True
        guess.start()
        guess.join(timeout=1.0)
        assert guess.is_alive()  # it is being delayed
        found = httpx.get(f"{base}/api/find", params={"q": "clip"}, headers=bearer, timeout=10)
        assert found.status_code == 200
        assert guess.is_alive()  # still delayed, and the other request was answered
        wrong = {"Authorization": "Bearer web-token-WRONG-guess"}  # a script's guess: the same
        script = threading.Thread(
            target=httpx.get, args=(f"{base}/api/find",),
            kwargs={"params": {"q": "clip"}, "headers": wrong, "timeout": 120},
        )  # fmt: skip
        script.daemon = True
        script.start()
        script.join(timeout=1.0)
        assert script.is_alive()
        plain = httpx.get(f"{base}/api/find", params={"q": "clip"}, timeout=10)
        assert plain.status_code == 401  # no header at all: answered at once


# bad values are one answer, not a 500 (G3, G4, G5) ---------------------------------------


def test_a_digest_named_with_its_suffix_is_that_digest(project: Path):
    with serve(_app(project)) as base:
        plain = httpx.get(f"{base}/review", params={"digest": "2025-W11"})
        pages = [httpx.get(f"{base}/review", params={"digest": f"2025-W11.{s}"}) for s in ("md", "json")]
        odd = httpx.get(f"{base}/review", params={"digest": "../2025-W11.md"})
        doubled = httpx.get(f"{base}/review", params={"digest": "2025-W11.md.md"})
        overlong = httpx.get(f"{base}/review", params={"digest": "A" * 256})
    assert plain.status_code == 200 and "Review digest 2025-W11" in plain.text
    for page in pages:
        assert page.status_code == 200 and "Review digest 2025-W11" in page.text
    assert odd.status_code == 400 and "is not a digest name" in odd.text
    for bad in (doubled, overlong):  # were 500s: an OSError from the file system
        assert bad.status_code == 400 and "is not a digest name" in bad.text
    sent = runner.invoke(
        cli, ["send", "--digest", "2025-W11.md", "--config", str(project / "litradar.toml")]
    )
    assert "Not a directory" not in sent.output and "Traceback" not in sent.output


def test_non_ascii_csrf_fields_and_session_cookies_are_refused_not_a_500(project: Path):
    form = {"digest": "2025-W11", "key": "2503.06287", "action": "reject"}
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        browser.get("/review")
        forged = browser.post("/review/decide", data=form | {"csrf": "jeton-\u00e9t\u00e9-\u2603"})
    assert forged.status_code == 403
    web_token = "web-token-abcdefghijklmnop"
    with serve(_app(project, token=web_token, host="0.0.0.0")) as base:
        cookie = "litradar_session=s\u00e9ance".encode()
        page = httpx.get(f"{base}/review", headers={"Cookie": cookie})
        api = httpx.get(f"{base}/api/find", params={"q": "clip"}, headers={"Cookie": cookie})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert api.status_code == 401


def test_bidi_and_control_characters_are_stripped_from_a_short_name(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    form = {"digest": "2025-W11", "key": "2503.06287", "action": "accept",
            "section": "Logit Lens", "short_name": "Few\u202eHeads\u2066\u200f"}  # fmt: skip
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        token = _csrf(browser.get("/review").text)
        done = browser.post("/review/decide", data=form | {"csrf": token})
    assert done.status_code == 303
    with Store.open(config.store_path) as store:
        assert store.short_names() == {"2503.06287": "FewHeads"}


def test_the_charts_read_each_digest_generation_once(tmp_path: Path, monkeypatch):
    """A digest's JSON holds its whole window (megabytes at scale): the chart of papers per
    digest parses each generation once, and a digest written again is read again."""
    from litradar.digests import generations
    from litradar.digests.generations import commit_digest
    from litradar.web import charts

    digests = tmp_path / "digests"
    config = load_config(None, environ={"LITRADAR_PATHS__DIGESTS_DIR": str(digests)})

    def write(name: str, read: int, proposed: int) -> None:
        document = {"papers": [], "proposed": proposed, "papers_read": read}
        commit_digest(digests, name, "# digest\n", json.dumps(document))

    write("2025-W10", 900, 2)
    write("2025-W11", 1197, 3)
    loads: list[str] = []
    real = generations.counts

    def counted(directory, name):  # type: ignore[no-untyped-def]
        loads.append(name)
        return real(directory, name)

    monkeypatch.setattr(charts, "counts", counted)
    first = charts.papers_per_week(config)
    assert first.labels == ["2025-W10", "2025-W11"]
    assert first.values == {"read": [900.0, 1197.0], "proposed": [2.0, 3.0]}
    assert charts.papers_per_week(config).values == first.values and len(loads) == 2
    write("2025-W11", 1197, 5)  # written again: a new generation
    assert charts.papers_per_week(config).values["proposed"] == [2.0, 5.0]
    assert loads == ["2025-W10", "2025-W11", "2025-W11"]


def test_a_digest_of_an_older_release_still_counts_in_the_charts(tmp_path: Path):
    """Digests written before 2026-11-23 have no `key` or `near_cut`: the page refuses them
    (it needs both), and the chart of papers per digest left them out, though it needs
    only two counts they have."""
    from litradar.digests.generations import commit_digest, load
    from litradar.web import charts

    digests = tmp_path / "digests"
    config = load_config(None, environ={"LITRADAR_PATHS__DIGESTS_DIR": str(digests)})
    old_paper = {"arxiv_id": "2503.00001", "title": "T", "rank": 1, "relevance": 0.5}
    old = {"papers": [old_paper], "proposed": 1, "papers_read": 812}
    commit_digest(digests, "2025-W09", "# digest\n", json.dumps(old))
    commit_digest(digests, "2025-W10", "# digest\n", json.dumps({"papers": {}, "proposed": 1}))
    with pytest.raises(LitradarError, match=r"not a litradar digest: papers\.0\.key"):
        load(digests, "2025-W09")
    series = charts.papers_per_week(config)
    assert series.labels == ["2025-W09"]  # W10 is no digest at all: left out
    assert series.values == {"read": [812.0], "proposed": [1.0]}


def test_the_review_page_parses_its_digest_once_per_view(project: Path, monkeypatch):
    """The queue and the pull request's preview both need the digest: one parse of its
    JSON (a whole window's papers: 48 MB for a 16.5k-paper window) per view, not two."""
    from litradar.digests import generations

    parsed: list[str] = []
    real = generations._parse

    def counted(text, directory, name):  # type: ignore[no-untyped-def]
        parsed.append(name)
        return real(text, directory, name)

    monkeypatch.setattr(generations, "_parse", counted)
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        page = browser.get("/review", params={"digest": "2025-W11"})
    assert page.status_code == 200 and "2503.99001" in page.text
    assert parsed == ["2025-W11"]


def test_a_decision_on_a_paper_outside_the_digests_queue_is_refused(project: Path):
    """The page shows only the queue; a forged or stale key must not add a label (which
    outranks the list in training) the maintainer never saw."""
    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:
        outside = next(p.key for p in store.papers() if p.key not in REAL and "99" not in p.key)
    form = {"digest": "2025-W11", "key": outside, "action": "accept", "section": "Tool"}
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        token = _csrf(browser.get("/review").text)
        refused = browser.post("/review/decide", data=form | {"csrf": token})
        page = browser.get("/review", params={"digest": "2025-W11\n"})
        search = browser.get("/", params={"q": "clip", "k": "0"})
    assert refused.status_code == 400 and "review queue" in refused.text
    assert page.status_code == 400 and "is not a digest name" in page.text  # "$" let it by
    assert search.status_code == 400 and "k: Input should be greater than or equal to 1" in search.text
    with Store.open(config.store_path) as store:
        assert store.labels() == [] and store.short_names() == {}


def test_an_unedited_short_name_is_not_stored_and_a_stale_tab_keeps_anothers_edit(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    key = "2503.06287"
    with serve(_app(project)) as base, httpx.Client(base_url=base) as browser:
        html = browser.get("/review").text
        token = _csrf(html)
        shown = re.search(
            rf'name="key" value="{re.escape(key)}">.*?name="shown_short_name" value="([^"]*)"',
            html, re.S,
        )[1]  # fmt: skip
        form = {"csrf": token, "digest": "2025-W11", "key": key, "action": "accept",
                "section": "Logit Lens", "shown_short_name": shown}  # fmt: skip
        assert browser.post("/review/decide", data=form | {"short_name": shown}).status_code == 303
        with Store.open(config.store_path) as store:
            assert store.short_names() == {}  # litradar's name stays free to improve
            assert [x["key"] for x in store.labels()] == [key]
        browser.post("/review/decide", data=form | {"short_name": "Few Heads"})  # tab one edits
        # Tab two, opened before, still shows the old name and accepts unedited.
        browser.post("/review/decide", data=form | {"short_name": shown, "section": "Tool"})
        zero_width = form | {"short_name": "Few\u200bHeads\u2060", "shown_short_name": "x"}
        with Store.open(config.store_path) as store:
            assert store.short_names() == {key: "Few Heads"}
        browser.post("/review/decide", data=zero_width)
    with Store.open(config.store_path) as store:
        assert store.short_names() == {key: "FewHeads"}


@pytest.mark.parametrize(
    "spoil",
    [
        lambda doc: doc["papers"][0].pop("rank"),
        lambda doc: doc["papers"][0].update(relevance="high"),
        lambda doc: doc.update(threshold="abc"),
        lambda doc: doc["papers"][0].update(close_to=[{"arxiv_id": "x"}]),
        None,  # not UTF-8 at all
    ],
)
def test_a_digest_json_that_is_not_litradars_is_one_line_and_the_charts_still_draw(
    project: Path, spoil
):
    """A digest edited by hand, or written by another tool: a 400 naming the bad field (were
    500s: KeyError, ValueError, UnicodeDecodeError), and the chart page draws the others."""
    folder = project / "digests"
    target = (folder / "2025-W11.json").resolve()
    if spoil is None:
        target.write_bytes(b"\xff\xfe{")
    else:
        document = json.loads(target.read_text(encoding="utf-8"))
        spoil(document)
        target.write_text(json.dumps(document), encoding="utf-8")
    with serve(_app(project)) as base:
        page = httpx.get(f"{base}/review", params={"digest": "2025-W11"})
        charts = httpx.get(f"{base}/charts")
    assert page.status_code == 400, page.text[:300]
    said = "is not UTF-8 text" if spoil is None else "is not a litradar digest: "
    assert said in page.text and "Traceback" not in page.text
    assert charts.status_code == 200
