"""The page shell of the static site, defined once: every page's ``<head>``, header, main
navigation and footer, written into ``frontend/*.html`` around the page's own ``<main>``.

    python -m infra.site_shell            # rewrite the pages that differ (make run, make package)
    python -m infra.site_shell --check    # exit 1, naming each page that is not current

The pages stay plain HTML a browser opens without a build step; only what lies outside
``<main>`` comes from here. The names a deployment has (its platform's, its city's) are not
written into the files: they carry the neutral ``NEUTRAL_PLATFORM_NAME`` and
``frontend/assets/js/shell.js`` puts in the ones ``/api/taxonomy`` answers.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"

# What a page shows before /api/taxonomy answers (and if it never does): true of every
# deployment, so no page ever shows another city's name. The directory's default too.
NEUTRAL_PLATFORM_NAME = "网络问政平台"
NEUTRAL_HOST = "总平台"
TAGLINE = "有话请您说 · 有事我来办"

# The main navigation: (page, label), in order.
NAV = (
    ("index.html", "留言板"),
    ("showcase.html", "回音壁"),
    ("rankings.html", "亮晒比"),
    ("unsatisfied.html", "不满意专区"),
    ("faq.html", "常见问题"),
    ("submit.html", "我要留言"),
    ("track.html", "查询评价"),
    ("staff.html", "工作人员"),
)


@dataclass(frozen=True)
class Page:
    title: str  # "<title> - <platform name>"
    script: str  # its module under assets/js/
    section: str = ""  # the NAV page marked as the current one, if any
    styles: tuple[str, ...] = ()  # its own stylesheets under assets/, after site.css


PAGES = {
    "index.html": Page("公开留言板", "board.js", "index.html"),
    "showcase.html": Page("回音壁", "showcase.js", "showcase.html"),
    "rankings.html": Page("亮晒比", "rankings.js", "rankings.html"),
    "bulletin.html": Page("月度通报", "bulletin.js", "rankings.html"),
    "unsatisfied.html": Page("不满意专区", "unsatisfied.js", "unsatisfied.html"),
    "faq.html": Page("常见问题", "faq.js", "faq.html"),
    "submit.html": Page("我要留言", "submit.js", "submit.html"),
    "track.html": Page("查询与评价", "track.js", "track.html"),
    "mine.html": Page("我的诉求", "mine.js", "track.html"),
    "case.html": Page("留言详情", "case.js"),
    "overdue.html": Page("超期红牌件", "overdue.js"),
    "handle.html": Page("部门办理", "handle.js"),
    "desk.html": Page("单位工作台", "desk.js"),
    "follow.html": Page("关注诉求", "follow.js"),
    "staff.html": Page("工作人员", "staff.js", "staff.html"),
    "admin.html": Page("时限与工作日历设置", "admin.js", "staff.html"),
    "audit.html": Page("审计查询", "audit.js", "staff.html"),
    "kb.html": Page("知识库管理", "kb.js", "staff.html"),
    "review.html": Page("监督评议", "review.js", "staff.html"),
    "dashboard.html": Page("领导驾驶舱", "dashboard.js", "staff.html", ("dashboard.css",)),
    "outbox.html": Page("开发邮箱", "outbox.js"),
    "api.html": Page("接口文档", "api-doc.js"),
}

MAIN_OPEN = '<main id="main" class="wrap" tabindex="-1">\n'
MAIN_CLOSE = "</main>\n"


class ShellError(Exception):
    """A page the shell cannot be written around (no ``<main>``, or not in PAGES)."""


def _nav(page: Page) -> str:
    items = []
    for href, label in NAV:
        current = ' aria-current="page"' if href == page.section else ""
        items.append(f'      <li><a href="{href}"{current}>{escape(label)}</a></li>\n')
    return (
        '  <nav class="site-nav" aria-label="主导航">\n'
        '    <ul class="wrap">\n'
        f"{''.join(items)}"
        "    </ul>\n"
        "  </nav>\n"
    )


def before_main(page: Page) -> str:
    """From the doctype to the opening ``<main>``: head, skip link, header, navigation."""
    return (
        "<!doctype html>\n"
        '<html lang="zh-CN">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        "<!-- Everything outside <main> is written by infra/site_shell.py: edit it there. -->\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(page.title)} - {NEUTRAL_PLATFORM_NAME}</title>\n"
        '<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">\n'
        '<link rel="stylesheet" href="assets/site.css">\n'
        + "".join(f'<link rel="stylesheet" href="assets/{name}">\n' for name in page.styles)
        + '<script type="module" src="assets/js/shell.js"></script>\n'
        f'<script type="module" src="assets/js/{page.script}"></script>\n'
        "</head>\n"
        "<body>\n"
        '<a class="skip-link" href="#main">跳到主要内容</a>\n'
        '<header class="site-header">\n'
        '  <div class="wrap header-inner">\n'
        '    <a class="brand" href="index.html">\n'
        '      <span class="brand-mark" aria-hidden="true">问</span>\n'
        '      <span class="brand-text">'
        f'<span class="brand-name" data-shell="platform">{NEUTRAL_PLATFORM_NAME}</span>'
        f'<span class="brand-tag">{TAGLINE}</span></span>\n'
        "    </a>\n"
        "  </div>\n"
        f"{_nav(page)}"
        "</header>\n"
        f"{MAIN_OPEN}"
    )


def after_main() -> str:
    """From the closing ``</main>`` to the end: the footer."""
    return (
        f"{MAIN_CLOSE}"
        '<footer class="site-footer">\n'
        '  <div class="wrap">\n'
        f'    <p><span data-shell="platform">{NEUTRAL_PLATFORM_NAME}</span> · '
        f'主办：<span data-shell="host">{NEUTRAL_HOST}</span></p>\n'
        "    <p>反映 → 受理 → 交办 → 督办 → 反馈：事事有回音，件件有着落。</p>\n"
        '    <p class="footer-small">本站为开源演示项目，城市与数据均为虚构。'
        '<a href="outbox.html">开发邮箱（本地演示）</a> · '
        '<a href="api.html">接口文档（开发者）</a></p>\n'
        "  </div>\n"
        "</footer>\n"
        "</body>\n"
        "</html>\n"
    )


def page_content(name: str, text: str) -> str:
    """What ``name`` holds inside ``<main>``: the part of the page that is its own."""
    start = text.find(MAIN_OPEN)
    end = text.rfind(MAIN_CLOSE)
    if start < 0 or end < start:
        raise ShellError(f"{name}: no {MAIN_OPEN.strip()} … {MAIN_CLOSE.strip()} to keep")
    return text[start + len(MAIN_OPEN) : end]


def render(name: str, text: str) -> str:
    """``text`` (the page ``name``) with the current shell around its own content."""
    page = PAGES.get(name)
    if page is None:
        raise ShellError(f"{name}: not in infra/site_shell.py's PAGES")
    return before_main(page) + page_content(name, text) + after_main()


def stale(folder: Path = FRONTEND) -> list[str]:
    """The pages of ``folder`` whose shell is not the current one, and the PAGES missing."""
    found = {path.name: path for path in sorted(folder.glob("*.html"))}
    missing = [f"{name} (in PAGES, not in {folder.name}/)" for name in PAGES if name not in found]
    behind = []
    for name, path in found.items():
        text = path.read_text(encoding="utf-8")
        if render(name, text) != text:
            behind.append(name)
    return missing + behind


def write(folder: Path = FRONTEND) -> list[str]:
    """Rewrite the pages of ``folder`` whose shell differs; returns their names."""
    written = []
    for path in sorted(folder.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        current = render(path.name, text)
        if current != text:
            path.write_text(current, encoding="utf-8")
            written.append(path.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--frontend", type=Path, default=FRONTEND)
    args = parser.parse_args(argv)
    try:
        if args.check:
            behind = stale(args.frontend)
            for name in behind:
                print(f"{name}: the page shell is not current (python -m infra.site_shell)")
            return 1 if behind else 0
        for name in write(args.frontend):
            print(f"{name}: page shell written", file=sys.stderr)
    except ShellError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
