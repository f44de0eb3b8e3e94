"""The steps of ``make package`` around ``chalice package`` (docs/OPERATIONS.md, "Deploying").

Chalice zips only ``app.py``, ``chalicelib/`` and ``vendor/``, and puts what ``vendor/`` holds at
the root of the zip, which is Lambda's ``/var/task`` and first on ``sys.path``:

- ``vendor`` rebuilds ``vendor/functions`` and ``vendor/schemas`` as trees of hard links to the
  sources (copies where a link is impossible), without ``__pycache__`` or ``.pyc`` files, so the
  zip holds the two packages exactly as the repository has them. The tree is rebuilt on every
  package, so a source replaced by an editor never leaves a stale link behind.
- ``prune`` rewrites Chalice's ``deployment.zip`` without what Lambda's Python runtime provides:
  Chalice vendors ``requirements.txt`` with its dependencies, and PynamoDB depends on botocore,
  which would bring botocore and its own dependencies (a copy that would also shadow the runtime's
  boto3 pairing). Compiled files are dropped too (whatever interpreter wrote them), and so
  are the third-party packages' own test suites (any ``tests``/``test`` folder inside a
  vendored package, e.g. ``jsonschema/tests``): nothing imports them at runtime.
- ``compile`` then adds the bytecode of every Python source left in the zip, written by this
  interpreter (the one Chalice named the functions' runtime after: ``make package`` runs both
  from the same virtualenv). Lambda's ``/var/task`` is read-only, so without it every cold
  start compiles each module it imports from source (a third of the first request's own
  CPU time, docs/PERFORMANCE.md "Cold start"). The files are unchecked-hash ``.pyc``
  (PEP 552): loaded without comparing the source's time stamp, which a zip does not keep
  faithfully, and the same bytes for the same source.

- ``layer`` builds the domestic SMS providers' layer (``requirements-providers.txt``: Alibaba
  Cloud's and Tencent Cloud's SDKs, 11 MB zipped with what they bring: aiohttp, cryptography,
  requests…). Only a stage whose ``WZ_SMS_PROVIDER`` is ``aliyun`` or ``tencent`` needs them,
  and there only the functions that send SMS, so they are a Lambda layer attached to those
  functions, not part of every function's zip (which stays under half of Lambda's 50 MB).
  The wheels are Lambda's (manylinux2014, this interpreter's Python version), resolved by uv;
  the layer is pruned and compiled as the zip is, under ``python/`` (where Lambda puts a
  layer's packages on ``sys.path``).

    python -m infra.package vendor
    python -m infra.package prune build/prod/deployment.zip
    python -m infra.package compile build/prod/deployment.zip
    python -m infra.package layer build/prod/providers-layer.zip
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDORED = ("functions", "schemas")

# Distributions of Lambda's Python runtime (boto3 and its dependencies), by normalised name, and
# the top-level import names they install.
RUNTIME_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "six", "urllib3"}
)
RUNTIME_TOP_LEVEL = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3"}
)
FIRST_PARTY = frozenset({*VENDORED, "app.py"})
TEST_FOLDERS = frozenset({"tests", "test"})
_DIST_DIR = re.compile(r"^(?P<name>.+?)-[^-]+\.(?:dist-info|data|egg-info)$")


def _ignore_compiled(_directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".pyo"))}


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


def build_vendor(root: Path = ROOT) -> list[Path]:
    """Recreate ``<root>/vendor/`` with the deployable packages; returns the trees made."""
    vendor = root / "vendor"
    shutil.rmtree(vendor, ignore_errors=True)
    vendor.mkdir()
    made = []
    for name in VENDORED:
        target = vendor / name
        shutil.copytree(root / name, target, ignore=_ignore_compiled, copy_function=_link_or_copy)
        made.append(target)
    return made


def is_runtime_provided(zip_path: str) -> bool:
    top = zip_path.split("/", 1)[0]
    if top in RUNTIME_TOP_LEVEL:
        return True
    match = _DIST_DIR.match(top)
    if match is None:
        return False
    return match.group("name").lower().replace("-", "_") in RUNTIME_DISTRIBUTIONS


def is_compiled(zip_path: str) -> bool:
    return "__pycache__/" in zip_path or zip_path.endswith((".pyc", ".pyo"))


def is_package_test_suite(zip_path: str) -> bool:
    """A file inside a third-party package's test folder (``referencing/tests/…``)."""
    parts = zip_path.split("/")
    return parts[0] not in FIRST_PARTY and any(p in TEST_FOLDERS for p in parts[:-1])


def _test_folder(zip_path: str) -> str:
    parts = zip_path.split("/")
    cut = next(i for i, p in enumerate(parts[:-1]) if p in TEST_FOLDERS)
    return "/".join(parts[: cut + 1])


def prune(zip_file: Path) -> tuple[int, int, list[str]]:
    """Rewrite ``zip_file`` without runtime-provided packages, compiled files and the
    packages' own test suites.

    Returns (bytes before, bytes after, sorted names removed: top-level names, and the test
    folders by their path)."""
    before = zip_file.stat().st_size
    removed: set[str] = set()
    pruned = zip_file.with_suffix(".pruned.zip")
    with (
        zipfile.ZipFile(zip_file) as source,
        zipfile.ZipFile(pruned, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if is_runtime_provided(info.filename) or is_compiled(info.filename):
                removed.add(info.filename.split("/", 1)[0])
                continue
            if is_package_test_suite(info.filename):
                removed.add(_test_folder(info.filename))
                continue
            target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    pruned.replace(zip_file)
    return before, zip_file.stat().st_size, sorted(removed)


def bytecode_name(source: str) -> str:
    """Where this interpreter looks for the bytecode of ``source`` (a path in the zip)."""
    return importlib.util.cache_from_source(source)


def compile_source(source: Path, cfile: Path, dfile: str) -> bool:
    """Write the unchecked-hash bytecode of ``source`` to ``cfile``, naming ``dfile`` as its
    path in tracebacks; False if it does not compile on this interpreter."""
    try:
        py_compile.compile(
            str(source),
            cfile=str(cfile),
            dfile=dfile,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError:
        return False
    return True


def compile_sources(zip_file: Path) -> tuple[int, list[str]]:
    """Add to ``zip_file`` the unchecked-hash bytecode of each ``.py`` it holds, next to it
    in ``__pycache__``, named for this interpreter. A source that does not compile on it
    (none is imported at runtime, or Lambda could not import it either) is left without;
    one that has its bytecode already is left alone.

    Returns (files added, sources left without bytecode)."""
    added, failed = 0, []
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(zip_file, "a") as package:
        source, compiled = Path(scratch) / "source.py", Path(scratch) / "compiled.pyc"
        present = set(package.namelist())  # a second run adds nothing
        for info in list(package.infolist()):  # the entries as they were: it grows here
            if not info.filename.endswith(".py") or bytecode_name(info.filename) in present:
                continue
            source.write_bytes(package.read(info))
            # dfile: the path tracebacks name, the same on every build
            if not compile_source(source, compiled, info.filename):
                failed.append(info.filename)
                continue
            target = zipfile.ZipInfo(bytecode_name(info.filename), date_time=info.date_time)
            target.external_attr = info.external_attr
            package.writestr(target, compiled.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
            added += 1
    return added, failed


PROVIDERS_REQUIREMENTS = ROOT / "requirements-providers.txt"
LAYER_ROOT = "python"  # a Python layer's packages: /opt/python on Lambda's sys.path
LAMBDA_PLATFORM = "x86_64-manylinux2014"  # the functions' architecture (template default)


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise SystemExit("uv is missing: `make venv` installs it")
    return found


def build_layer(
    out: Path, requirements: Path = PROVIDERS_REQUIREMENTS
) -> tuple[int, int, list[str]]:
    """Write ``out``: ``requirements`` installed for Lambda under ``python/``, without what
    the runtime provides, compiled files or test suites, then with this interpreter's
    unchecked-hash bytecode of every source (as ``compile`` does for the zip).

    Returns (files, bytes, top-level names)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / LAYER_ROOT
        subprocess.run(
            [
                _uv(),
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "--python-platform",
                LAMBDA_PLATFORM,
                "--python-version",
                version,
                "-r",
                str(requirements),
            ],
            check=True,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        names = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as layer:
            for path in sorted(target.rglob("*")):
                inside = path.relative_to(target).as_posix()
                if path.is_dir() or inside.startswith("bin/") or inside == ".lock":
                    continue
                if is_runtime_provided(inside) or is_compiled(inside):
                    continue
                if is_package_test_suite(inside):
                    continue
                layer.write(path, f"{LAYER_ROOT}/{inside}")
                names.append(inside)
    compile_sources(out)
    with zipfile.ZipFile(out) as layer:
        files = len(layer.namelist())
    return files, out.stat().st_size, top_level(names)


def top_level(names: Iterable[str]) -> list[str]:
    return sorted({name.split("/", 1)[0] for name in names})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("vendor", help="rebuild vendor/functions and vendor/schemas")
    prune_parser = sub.add_parser("prune", help="drop runtime-provided packages from a zip")
    prune_parser.add_argument("zip", type=Path)
    compile_parser = sub.add_parser("compile", help="add the bytecode of a zip's sources")
    compile_parser.add_argument("zip", type=Path)
    layer_parser = sub.add_parser("layer", help="build the domestic SMS providers' layer")
    layer_parser.add_argument("zip", type=Path)
    args = parser.parse_args(argv)
    if args.command == "layer":
        files, size, tops = build_layer(args.zip)
        print(f"layer {args.zip}: {files} files, {size / 1e6:.1f} MB")
        print("  contents: " + ", ".join(t for t in tops if not t.endswith(".dist-info")))
        return 0
    if args.command == "vendor":
        for tree in build_vendor():
            print(f"vendored {tree.relative_to(ROOT)}")
        return 0
    if args.command == "compile":
        before = args.zip.stat().st_size
        added, failed = compile_sources(args.zip)
        after = args.zip.stat().st_size
        print(
            f"compiled {added} sources into {args.zip} ({sys.implementation.cache_tag}): "
            f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
        )
        if failed:
            print(f"  left as source (they do not compile here): {', '.join(failed)}")
        return 0
    before, after, removed = prune(args.zip)
    print(f"pruned {args.zip}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    if removed:
        print("  removed (Lambda's runtime provides them, or test suites): " + ", ".join(removed))
    with zipfile.ZipFile(args.zip) as package:
        print("  contents: " + ", ".join(top_level(package.namelist())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
