"""The deployed site, built from ``frontend/``: ``build/site/``, where each page loads ONE
script and ONE stylesheet, both named by a hash of their content.

    python -m infra.site_build            # build when frontend/ changed since the last build
    python -m infra.site_build --force    # build again all the same

``frontend/`` stays what a developer edits and a browser opens as it is: plain HTML whose
``<head>`` (written by ``infra.site_shell``) loads ``assets/site.css`` (and a page's own
stylesheets) and the ES modules ``assets/js/shell.js`` and the page's module, which import
about ten more. A first visit asked for twelve files or so; CloudFront bills each request, and
each is a round trip on a phone. The build gives every page:

- ``assets/<page>.<HASH>.js``: esbuild's bundle of the page's scripts, in their order, and
  everything they import. A module a page loads with ``import()`` is in the bundle too, run
  only when it is imported (esbuild without code splitting): split out, the modules it shares
  with the page (``dom.js``, ``ui.js``) would go to a third, shared file that every view loads
  (esbuild's splitting), or, built as a bundle of its own, be a second copy whose state
  (``dom.js``'s id counter, ``ui.js``'s taxonomy cache) the page's copy does not see. The two
  such modules (``rankings-talk.js``, ``staff-hotspots.js``) are 1.3 KB gzipped each.
- ``assets/<stylesheet>.<HASH>.css``: its stylesheets in one file, named after the last one.
  Pages with the same stylesheets share the file (every page but the cockpit: ``site``), so
  the browser's cached copy serves the next page.
- minified, with a source map beside each (``.map``: read only by a browser's developer tools).

The HTML is the source page with those two tags where its ``<link rel="stylesheet">`` and
``<script type="module">`` tags were; every other file of ``frontend/`` (the icon) is copied
as it is; the sources' ``.js`` and ``.css`` are not deployed. ``infra.deploy`` uploads the
hashed files as immutable (``cache_control``).

``build/site-manifest.json`` says what the build made (``manifest()``): for each page the
files it loads and their gzipped bytes, and the fingerprint of the sources it was built from.
The local stack (``infra.local_stack``) serves ``build/site/`` and builds again when a page is
asked for after ``frontend/`` changed, so an edit shows on the next reload.

esbuild is pinned in ``infra/site/package.json`` and its lock, installed by ``make site-deps``
(``npm ci``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BUILD = ROOT / "build"
SITE = BUILD / "site"
MANIFEST = BUILD / "site-manifest.json"
TOOL = ROOT / "infra" / "site"
ESBUILD = TOOL / "node_modules" / ".bin" / "esbuild"
ASSETS = "assets"
# esbuild's [hash]: 8 characters of base32. A file so named never changes (deploy caches it
# for a year); the pattern is what deploy and the tests know a built asset by.
HASHED = re.compile(r"\.[A-Z2-7]{8}\.(?:js|css)(?:\.map)?$")

SCRIPT_TAG = re.compile(r'<script type="module" src="([^"]+)"></script>\n')
STYLE_TAG = re.compile(r'<link rel="stylesheet" href="([^"]+)">\n')


class SiteBuildError(Exception):
    """The site cannot be built (esbuild missing or failing, a page it cannot read)."""


# --- what the sources are ---------------------------------------------------------------------


def _sources(frontend: Path) -> list[Path]:
    return [p for p in sorted(frontend.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def fingerprint(frontend: Path = FRONTEND) -> str:
    """A hash of everything a build depends on: the files of ``frontend/``, this module and
    esbuild's lock."""
    digest = hashlib.sha256()
    for path in [*_sources(frontend), Path(__file__), TOOL / "package-lock.json"]:
        name = path.relative_to(frontend) if path.is_relative_to(frontend) else path.name
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
        digest.update(b"\0")
    return digest.hexdigest()


def _stat_signature(frontend: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap to take on every page request: each source's name, size and modification time."""
    found = []
    for path in _sources(frontend):
        stat = path.stat()
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def page_assets(html: str) -> tuple[list[str], list[str]]:
    """(scripts, stylesheets) a source page loads, in order, as its ``<head>`` names them."""
    return SCRIPT_TAG.findall(html), STYLE_TAG.findall(html)


def _css_name(styles: list[str]) -> str:
    return Path(styles[-1]).stem


# --- the build --------------------------------------------------------------------------------


def _run_esbuild(entries: list[Path], outdir: Path, metafile: Path) -> dict[str, Any]:
    if not ESBUILD.exists():
        raise SiteBuildError(
            f"esbuild is not installed ({ESBUILD.relative_to(ROOT)}): "
            "make site-deps (npm ci --prefix infra/site)"
        )
    command = [
        str(ESBUILD),
        *(str(e) for e in entries),
        "--bundle",
        "--format=esm",
        "--minify",
        "--charset=utf8",  # Chinese text as UTF-8, not \\u escapes (twice the bytes)
        "--sourcemap",
        "--legal-comments=none",
        "--entry-names=[name].[hash]",
        f"--outdir={outdir}",
        f"--metafile={metafile}",
        "--log-level=warning",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    if done.returncode != 0:
        raise SiteBuildError(f"esbuild failed:\n{done.stderr.strip()}")
    meta: dict[str, Any] = json.loads(metafile.read_text(encoding="utf-8"))
    return meta


def _from(folder: Path, target: Path) -> str:
    """``target`` as a relative import from ``folder`` (absolute paths would make the hashes,
    which cover the source maps, differ from one checkout to another)."""
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()


def _gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def build(
    frontend: Path = FRONTEND, site: Path = SITE, manifest_path: Path = MANIFEST
) -> dict[str, Any]:
    """Build ``site`` from ``frontend`` (what it held replaced) and write the manifest; returns
    it."""
    sources_print = fingerprint(frontend)
    # Built beside ``site``, at its depth (the source maps name the sources relatively), then
    # put in its place file by file.
    out, entries_dir = site.parent / f".{site.name}-new", site.parent / f".{site.name}-entries"
    for folder in (out, entries_dir):
        shutil.rmtree(folder, ignore_errors=True)
    entries_dir.mkdir(parents=True)
    pages: dict[str, tuple[str, list[str], list[str]]] = {}
    js_entries: list[Path] = []
    css_entries: dict[tuple[str, ...], Path] = {}
    for page in sorted(frontend.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        scripts, styles = page_assets(html)
        if not scripts or not styles:
            raise SiteBuildError(f"{page.name}: no <script type=module> or no stylesheet to build")
        pages[page.name] = (html, scripts, styles)
        entry = entries_dir / f"{page.stem}.js"
        entry.write_text(
            "".join(f'import "{_from(entries_dir, frontend / src)}";\n' for src in scripts),
            encoding="utf-8",
        )
        js_entries.append(entry)
        key = tuple(styles)
        if key not in css_entries:
            css_entry = entries_dir / f"{_css_name(styles)}.css"
            if css_entry.exists():
                raise SiteBuildError(
                    f"{page.name}: two sets of stylesheets end in {css_entry.name}"
                )
            css_entry.write_text(
                "".join(f'@import "{_from(entries_dir, frontend / href)}";\n' for href in key),
                encoding="utf-8",
            )
            css_entries[key] = css_entry
    meta = _run_esbuild(
        [*js_entries, *css_entries.values()], out / ASSETS, entries_dir / "meta.json"
    )
    built: dict[Path, str] = {}  # entry → its output, relative to the site
    for output, about in meta["outputs"].items():
        if "entryPoint" in about:
            built[(ROOT / about["entryPoint"]).resolve()] = (
                (ROOT / output).resolve().relative_to(out.resolve()).as_posix()
            )

    found: dict[str, Any] = {}
    for name, (html, _scripts, styles) in pages.items():
        js = built[(entries_dir / f"{Path(name).stem}.js").resolve()]
        css = built[css_entries[tuple(styles)].resolve()]
        (out / name).write_text(_rewrite(html, js, css), encoding="utf-8")
        files = [js, css]
        found[name] = {
            "js": js,
            "css": css,
            "files": files,
            "gzip_bytes": sum(_gzipped(out / f) for f in files),
            "html_gzip_bytes": _gzipped(out / name),
        }
    for path in _sources(frontend):
        relative = path.relative_to(frontend)
        if path.suffix in (".html", ".js", ".css"):
            continue
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out / relative)

    manifest = {
        "fingerprint": sources_print,
        "pages": found,
        "hashed": sorted(
            p.relative_to(out).as_posix() for p in (out / ASSETS).iterdir() if HASHED.search(p.name)
        ),
    }
    _put_in_place(out, site)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(entries_dir, ignore_errors=True)
    partial = manifest_path.with_suffix(".partial")
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(manifest_path)
    return manifest


def _put_in_place(new: Path, site: Path) -> None:
    """``site`` made what ``new`` holds, while a local stack may be serving it: each changed
    file replaced at once (a rename), the assets before the pages that name them, then the
    files no longer built removed. No moment without the folder or a page."""
    files = sorted(
        (p.relative_to(new) for p in new.rglob("*") if p.is_file()),
        key=lambda name: (name.suffix == ".html", str(name)),
    )
    for name in files:
        target = site / name
        if target.is_file() and target.read_bytes() == (new / name).read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        (new / name).replace(target)
    kept = set(files)
    for path in sorted(site.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(site) not in kept:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _rewrite(html: str, js: str, css: str) -> str:
    """The source page loading the built files: the bundle's tags where the first of the
    source's were, the others gone."""
    first_style = STYLE_TAG.search(html)
    first_script = SCRIPT_TAG.search(html)
    assert first_style is not None and first_script is not None
    marked = html[: first_style.start()] + "\0css\0" + html[first_style.start() :]
    marked = STYLE_TAG.sub("", marked)
    at = SCRIPT_TAG.search(marked)
    assert at is not None
    marked = marked[: at.start()] + "\0js\0" + marked[at.start() :]
    marked = SCRIPT_TAG.sub("", marked)
    return marked.replace("\0css\0", f'<link rel="stylesheet" href="{css}">\n').replace(
        "\0js\0", f'<script type="module" src="{js}"></script>\n'
    )


# --- built when needed ------------------------------------------------------------------------

_lock = threading.Lock()
_checked: dict[str, Any] = {}  # the sources' stat signature → the manifest they were built to


@contextlib.contextmanager
def _exclusive(site: Path) -> Iterator[None]:
    """One build at a time on this machine (the tests start several stacks at once)."""
    site.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(site.parent / f".{site.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(manifest_path: Path = MANIFEST) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found


def ensure_built(
    frontend: Path = FRONTEND, site: Path = SITE, manifest_path: Path = MANIFEST
) -> dict[str, Any]:
    """The manifest of a build of the current ``frontend``: the last one if nothing changed
    since, else a new one. Cheap when nothing changed (the sources' sizes and times)."""
    signature = _stat_signature(frontend)
    known = _checked.get(str(site))
    if known is not None and known[0] == signature and site.is_dir():
        manifest: dict[str, Any] = known[1]
        return manifest
    with _exclusive(site):
        current = fingerprint(frontend)
        found = read_manifest(manifest_path)
        if found is None or found.get("fingerprint") != current or not site.is_dir():
            found = build(frontend, site, manifest_path)
        _checked[str(site)] = (signature, found)
        return found


def manifest() -> dict[str, Any]:
    """The current build's manifest (building first if ``frontend/`` changed)."""
    return ensure_built()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="build even if nothing changed")
    args = parser.parse_args(argv)
    try:
        if args.force:
            with _exclusive(SITE):
                found = build()
        else:
            found = ensure_built()
    except SiteBuildError as error:
        print(error, file=sys.stderr)
        return 1
    for name, page in found["pages"].items():
        print(
            f"{name}: {' + '.join(page['files'])}, {page['gzip_bytes'] / 1024:.1f} KiB gzipped",
            file=sys.stderr,
        )
    print(f"{os.path.relpath(SITE)}: {len(found['pages'])} pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
