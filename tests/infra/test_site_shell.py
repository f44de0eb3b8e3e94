"""The page shell (infra/site_shell.py): every page of frontend/ carries the current one, a
page keeps its own <main> when the shell is written, and no file of the site names a city."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infra import site_shell
from infra.site_shell import FRONTEND, NEUTRAL_PLATFORM_NAME, PAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_of_the_site_carries_the_current_shell() -> None:
    assert site_shell.stale() == [], "run `python -m infra.site_shell` (make run does)"


def test_the_shell_lists_every_page_of_the_site() -> None:
    assert set(PAGES) == {path.name for path in FRONTEND.glob("*.html")}


def test_no_file_of_the_site_names_the_demo_city() -> None:
    city = json.loads((ROOT / "infra" / "demo" / "city.json").read_text(encoding="utf-8"))["city"]
    files = [p for p in sorted(FRONTEND.rglob("*")) if p.suffix in (".html", ".js", ".css")]
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        for name in (city["name"], city["platform_name"]):
            assert name not in text, f"{path.relative_to(ROOT)} names {name}"


def test_pages_carry_the_neutral_name_in_title_header_and_footer() -> None:
    text = (FRONTEND / "submit.html").read_text(encoding="utf-8")
    assert f"<title>我要留言 - {NEUTRAL_PLATFORM_NAME}</title>" in text
    assert text.count(f'<span data-shell="platform">{NEUTRAL_PLATFORM_NAME}</span>') == 1
    assert f'data-shell="platform">{NEUTRAL_PLATFORM_NAME}</span><span class="brand-tag">' in text
    assert '<a href="submit.html" aria-current="page">我要留言</a>' in text
    assert text.index('src="assets/js/shell.js"') < text.index('src="assets/js/submit.js"')


def test_a_page_edited_outside_its_main_is_named_then_written_back_keeping_its_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "frontend"
    shutil.copytree(FRONTEND, site, ignore=shutil.ignore_patterns("assets"))
    page = site / "track.html"
    own = site_shell.page_content("track.html", page.read_text(encoding="utf-8"))
    edited = own.replace("</div>", "<p>本页新增的一段说明。</p></div>", 1)
    assert edited != own
    text = page.read_text(encoding="utf-8").replace(own, edited)
    page.write_text(text.replace("<title>查询与评价", "<title>手改的标题"), encoding="utf-8")

    assert site_shell.main(["--check", "--frontend", str(site)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "track.html: the page shell is not current (python -m infra.site_shell)"
    ]
    assert site_shell.main(["--frontend", str(site)]) == 0
    assert site_shell.main(["--check", "--frontend", str(site)]) == 0
    written = page.read_text(encoding="utf-8")
    assert "<title>查询与评价 - " in written and "手改的标题" not in written
    assert site_shell.page_content("track.html", written) == edited


def test_a_page_missing_from_the_shells_table_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("index.html", "new.html"):
        shutil.copy(FRONTEND / "index.html", tmp_path / name)
    assert site_shell.main(["--frontend", str(tmp_path)]) == 1
    assert "new.html: not in infra/site_shell.py's PAGES" in capsys.readouterr().err


def test_a_page_without_its_main_is_refused(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>\n<p>没有主体</p>\n", encoding="utf-8")
    with pytest.raises(site_shell.ShellError, match=r"index\.html: no <main"):
        site_shell.write(tmp_path)
