"""The site build (infra/site_build.py): each page of frontend/ built to load one script and
one stylesheet named by their content, the rest of the page as it is, nothing inline; the same
sources give the same names; an edit gives a new build on the next page request.
(tests/browser/test_built_site.py counts what a browser actually loads.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra import site_build
from infra.site_build import FRONTEND, HASHED, page_assets
from infra.site_shell import PAGES
from tests.infra.test_template import _PageAudit


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("built")
    site = folder / "site"
    manifest = site_build.build(site=site, manifest_path=folder / "site-manifest.json")
    return site, manifest


def test_each_page_loads_one_hashed_script_and_one_hashed_stylesheet(
    built: tuple[Path, dict[str, Any]],
) -> None:
    site, manifest = built
    assert set(manifest["pages"]) == set(PAGES) == {p.name for p in site.glob("*.html")}
    for name, page in manifest["pages"].items():
        html = (site / name).read_text(encoding="utf-8")
        scripts, styles = page_assets(html)
        assert scripts == [page["js"]] and styles == [page["css"]], name
        assert page["files"] == [page["js"], page["css"]]
        assert re.fullmatch(r"assets/[a-z-]+\.[A-Z2-7]{8}\.js", page["js"]), page["js"]
        assert HASHED.search(page["css"]) and (site / page["css"]).is_file()
        assert (site / page["js"]).is_file() and (site / f"{page['js']}.map").is_file()
        assert "assets/js/" not in html
        assert 0 < page["gzip_bytes"] < 60 * 1024
        # Everything else is the source page: the shell, the page's own <main>.
        source = (FRONTEND / name).read_text(encoding="utf-8")
        assert [line for line in html.splitlines() if "assets/" not in line] == [
            line for line in source.splitlines() if "assets/" not in line
        ]
        audit = _PageAudit()
        audit.feed(html)
        assert audit.problems == [], f"{name}: {audit.problems}"
    pages = manifest["pages"]
    # Pages with the same stylesheets share one file (cached from one page to the next).
    assert pages["index.html"]["css"] == pages["case.html"]["css"] != pages["dashboard.html"]["css"]
    assert pages["dashboard.html"]["css"].startswith("assets/dashboard.")


def test_the_built_site_holds_no_source_module_and_every_other_file(
    built: tuple[Path, dict[str, Any]],
) -> None:
    site, manifest = built
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert "assets/favicon.svg" in names
    assert not [n for n in names if n.startswith("assets/js/")]
    assets = {n for n in names if n.endswith((".js", ".css"))}
    used = {f for page in manifest["pages"].values() for f in page["files"]}
    assert assets == used
    assert set(manifest["hashed"]) == {f"{n}" for n in names if HASHED.search(n)}


def test_a_module_a_page_imports_lazily_is_in_its_bundle_run_when_imported(
    built: tuple[Path, dict[str, Any]],
) -> None:
    """rankings.js imports rankings-talk.js with import(): one file all the same (a chunk of its
    own would share dom.js and ui.js through a third file, or copy their state)."""
    site, manifest = built
    assert "import('./rankings-talk.js')" in (FRONTEND / "assets/js/rankings.js").read_text()
    bundle = (site / manifest["pages"]["rankings.html"]["js"]).read_text(encoding="utf-8")
    assert "每行一人，如：张明（市城市管理局局长）" in bundle  # rankings-talk.js, lazily run
    assert not re.search(r"""\bimport\s*\(\s*['"]""", bundle)
    assert not re.search(r"""\bfrom\s*['"]\.""", bundle)


def test_the_same_sources_give_the_same_names(tmp_path: Path) -> None:
    """(The names depend on the sources' paths from the checkout's root, as esbuild sees them:
    build/site/ from frontend/ gives the same names in every checkout.)"""
    site, manifest = tmp_path / "site", tmp_path / "m.json"
    first = site_build.build(site=site, manifest_path=manifest)
    again = site_build.build(site=site, manifest_path=manifest)
    assert again["pages"] == first["pages"] and again["fingerprint"] == first["fingerprint"]


def test_an_edit_is_built_on_the_next_request_and_nothing_is_built_without_one(
    tmp_path: Path,
) -> None:
    frontend, site, manifest = tmp_path / "frontend", tmp_path / "site", tmp_path / "m.json"
    shutil.copytree(FRONTEND, frontend)
    first = site_build.ensure_built(frontend, site, manifest)
    made = (site / "index.html").stat().st_mtime_ns
    assert site_build.ensure_built(frontend, site, manifest) == first
    assert (site / "index.html").stat().st_mtime_ns == made

    faq = frontend / "assets" / "js" / "faq.js"
    faq.write_text(faq.read_text(encoding="utf-8") + "\nconsole.info('edited');\n")
    second = site_build.ensure_built(frontend, site, manifest)
    assert second["pages"]["faq.html"]["js"] != first["pages"]["faq.html"]["js"]
    assert second["pages"]["index.html"]["js"] == first["pages"]["index.html"]["js"]
    assert "edited" in (site / second["pages"]["faq.html"]["js"]).read_text(encoding="utf-8")
    assert second["pages"]["faq.html"]["js"] in (site / "faq.html").read_text(encoding="utf-8")
    # Put in place file by file: the unchanged ones stay, the one no longer built goes.
    assert not (site / first["pages"]["faq.html"]["js"]).exists()
    assert (site / "index.html").stat().st_mtime_ns == made


def test_a_script_that_does_not_parse_fails_the_build_naming_it(tmp_path: Path) -> None:
    frontend = tmp_path / "frontend"
    shutil.copytree(FRONTEND, frontend)
    (frontend / "assets" / "js" / "faq.js").write_text("export const = ;\n")
    with pytest.raises(site_build.SiteBuildError, match=r"faq\.js"):
        site_build.build(frontend, tmp_path / "site", tmp_path / "m.json")
    assert not (tmp_path / "site").exists()
