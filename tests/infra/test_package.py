"""The Lambda zip ``make package`` builds: what it holds, and that every handler named in the
template imports from it, unpacked, in a clean virtualenv holding only what Lambda's Python
runtime provides (boto3 and its dependencies), with no AWS access at import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from infra.package import RUNTIME_DISTRIBUTIONS, bytecode_name, is_package_test_suite

ROOT = Path(__file__).resolve().parents[2]
# Lambda's Python runtime: boto3 and its dependencies, at the versions this repository tests.
RUNTIME_PINS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """Normalised names of the distributions ``requirements`` install on Lambda (Linux, 3.11),
    from the metadata of the suite's venv, which installed the same pins."""
    env = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"}
    seen: set[str] = set()
    pending = [Requirement(line) for line in requirements]
    while pending:
        req = pending.pop()
        name = _normalise(req.name)
        if name in seen or (req.marker and not req.marker.evaluate({**env, "extra": ""})):
            continue
        seen.add(name)
        pending.extend(Requirement(r) for r in metadata.requires(req.name) or [])
    return seen


def _lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def _runtime_dir(target: Path) -> Path:
    """A directory with exactly the packages of ``RUNTIME_PINS``, linked from this venv."""
    target.mkdir()
    for name in RUNTIME_PINS:
        dist = metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops - {"..", "__pycache__"}:
            if not top.endswith(".data"):
                (target / top).symlink_to(Path(str(dist.locate_file(top))))
    return target


@pytest.fixture(scope="module")
def zip_names(package_dir: Path) -> list[str]:
    size = (package_dir / "deployment.zip").stat().st_size
    print(f"\ndeployment.zip: {size} bytes ({size / 1e6:.2f} MB)")
    with zipfile.ZipFile(package_dir / "deployment.zip") as package:
        return package.namelist()


@pytest.fixture(scope="module")
def handlers(package_dir: Path) -> list[str]:
    template = json.loads((package_dir / "sam.json").read_text())
    return sorted(
        resource["Properties"]["Handler"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    )


def test_zip_holds_the_app_and_every_source_file_of_functions_and_schemas(
    zip_names: list[str],
) -> None:
    sources = {
        path.relative_to(ROOT).as_posix()
        for tree in ("functions", "schemas")
        for path in (ROOT / tree).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert "app.py" in zip_names
    assert sources <= set(zip_names), sorted(sources - set(zip_names))[:10]
    assert "schemas/components/StaffCase.json" in zip_names  # the API document's answer shapes


def test_zip_has_no_tests_dev_or_runtime_provided_packages(zip_names: list[str]) -> None:
    tops = {name.split("/", 1)[0] for name in zip_names}
    assert not tops & {"tests", "infra", "frontend", "vendor", "docs", ".chalice"}
    # Chalice ships only its runtime router, not its CLI or the CLI's dependencies.
    assert sorted(n for n in zip_names if n.startswith("chalice/") and "__pycache__" not in n) == [
        "chalice/__init__.py",
        "chalice/app.py",
    ]
    not_shipped = {
        "moto",
        "pytest",
        "hypothesis",
        "playwright",
        "ruff",
        "mypy",
        "click",
        "yaml",
        "requests",
        "boto3",
        "botocore",
        "s3transfer",
        "urllib3",
        "dateutil",
    }
    assert not tops & not_shipped


def test_every_source_has_unchecked_bytecode_for_the_runtime_and_nothing_else_is_compiled(
    package_dir: Path, zip_names: list[str]
) -> None:
    """Written by the interpreter Chalice named the runtime after (this one), for each source
    and only for the zip's own sources: no stale file from another build or interpreter."""
    template = json.loads((package_dir / "sam.json").read_text())
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}
    sources = [n for n in zip_names if n.endswith(".py")]
    compiled = {n for n in zip_names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))}
    expected = {bytecode_name(source) for source in sources}
    assert compiled <= expected, sorted(compiled - expected)[:5]
    missing = sorted(expected - compiled)
    assert len(missing) <= len(sources) // 100, missing[:5]  # only what does not compile here
    assert not [m for m in missing if m.startswith(("functions/", "schemas/", "app"))]
    with zipfile.ZipFile(package_dir / "deployment.zip") as package:
        flags = {int.from_bytes(package.read(name)[4:8], "little") for name in compiled}
    assert flags == {0b01}  # PEP 552: hash-based, source not checked


def test_zip_holds_no_test_suite_of_any_package(zip_names: list[str]) -> None:
    """jsonschema, referencing and jsonschema-specifications ship their own tests (248 KB in
    the zip): prune drops every test folder, whichever package brings one."""
    in_test_folders = [n for n in zip_names if {"tests", "test"} & set(n.split("/")[:-1])]
    assert not in_test_folders, in_test_folders[:10]
    assert "jsonschema/validators.py" in zip_names  # the package itself stays
    assert is_package_test_suite("referencing/tests/test_core.py")
    assert is_package_test_suite("somepkg/sub/test/data.json")
    assert not is_package_test_suite("somepkg/testing.py")
    assert not is_package_test_suite("functions/tests/anything.py")  # first-party, kept whole


def test_zip_distributions_are_exactly_requirements_txt_without_the_runtimes(
    zip_names: list[str],
) -> None:
    in_zip = {
        _normalise(top.removesuffix(".dist-info").rsplit("-", 1)[0])
        for top in {n.split("/", 1)[0] for n in zip_names}
        if top.endswith(".dist-info")
    }
    expected = _closure(_lines(ROOT / "requirements.txt")) - RUNTIME_DISTRIBUTIONS
    assert in_zip == expected


def test_every_handler_imports_from_the_unpacked_zip_in_a_clean_runtime_venv(
    package_dir: Path, handlers: list[str], tmp_path: Path
) -> None:
    assert "app.app" in handlers and len(handlers) >= 8, handlers
    task = tmp_path / "task"
    with zipfile.ZipFile(package_dir / "deployment.zip") as package:
        package.extractall(task)
    # The clean venv holds nothing; Lambda's runtime packages are links to the suite's pinned
    # copies in a directory after the task root on the path, as /var/runtime is on Lambda.
    clean = tmp_path / "venv"
    venv.create(clean, with_pip=False)
    python = clean / "bin" / "python"
    runtime = _runtime_dir(tmp_path / "runtime")
    assert f"boto3=={metadata.version('boto3')}" in {
        line.replace(" ", "") for line in _lines(ROOT / "requirements-dev.txt")
    }
    probe = textwrap.dedent(
        """
        import importlib, json, sys
        loaded = {}
        for handler in sys.argv[1:]:
            module, name = handler.rsplit(".", 1)
            target = getattr(importlib.import_module(module), name)
            loaded[handler] = callable(target)
        import functions, schemas, chalice, botocore
        import importlib.util, os
        ours = [m for name, m in sys.modules.items() if name.split(".")[0] == "functions"]
        without = sorted(m.__name__ for m in ours if not os.path.exists(m.__cached__ or ""))
        from app import app
        from functions.api import openapi
        document = openapi.document(app.routes, local=False)
        print(json.dumps({
            "callable": loaded,
            "files": {m.__name__: m.__file__ for m in (functions, schemas, chalice, botocore)},
            "without_bytecode": without,
            "schemas": schemas.names(),
            "openapi": document["openapi"],
            "dev": [path for path in document["paths"] if path.startswith("/api/dev/")],
        }))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{task}:{runtime}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(task),
        "WZ_STAGE": "prod",
        "AWS_REGION": "ap-southeast-1",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        # Any AWS call at import would fail: no credentials, and every endpoint a closed port.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    result = subprocess.run(
        [str(python), "-c", probe, *handlers],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["callable"] == {handler: True for handler in handlers}
    assert report["without_bytecode"] == []  # read from the zip's .pyc, never compiled here
    for module in ("functions", "schemas", "chalice"):
        assert report["files"][module].startswith(str(task)), report["files"]
    assert report["files"]["botocore"].startswith(str(runtime)), report["files"]
    assert report["schemas"] == sorted(p.stem for p in (ROOT / "schemas").glob("*.json"))
    assert report["openapi"].startswith("3.1") and report["dev"] == []


def test_the_providers_layer_holds_the_domestic_sms_sdks_the_zip_does_not(
    package_dir: Path, zip_names: list[str], tmp_path: Path
) -> None:
    """Alibaba Cloud's and Tencent Cloud's SDKs (with aiohttp, cryptography, requests…) are a
    layer a domestic-SMS stage attaches to its SMS senders: unpacked at /opt as Lambda does,
    after the task root on the path, they import in a clean runtime venv from their bytecode,
    and the zip every function carries holds none of them."""
    layer_zip = package_dir / "providers-layer.zip"
    with zipfile.ZipFile(layer_zip) as layer:
        names = layer.namelist()
        layer.extractall(tmp_path / "opt")
    tops = {name.split("/", 2)[1] for name in names}
    assert {name.split("/", 1)[0] for name in names} == {"python"}
    assert {"alibabacloud_dysmsapi20170525", "tencentcloud", "requests"} <= tops
    assert not tops & {"boto3", "botocore", "urllib3", "s3transfer", "dateutil", "pytest"}
    in_zip = {name.split("/", 1)[0] for name in zip_names}
    assert not in_zip & {"alibabacloud_dysmsapi20170525", "tencentcloud", "aiohttp", "requests"}

    task = tmp_path / "task"
    with zipfile.ZipFile(package_dir / "deployment.zip") as package:
        package.extractall(task)
    clean = tmp_path / "venv"
    venv.create(clean, with_pip=False)
    runtime = _runtime_dir(tmp_path / "runtime")
    layer_path = tmp_path / "opt" / "python"
    probe = textwrap.dedent(
        """
        import json, os, sys
        from alibabacloud_dysmsapi20170525.client import Client
        from tencentcloud.sms.v20210111 import sms_client
        from functions.notify.providers import aliyun, tencent
        modules = [m for m in list(sys.modules.values()) if getattr(m, "__cached__", None)]
        without = sorted(m.__name__ for m in modules
                         if m.__file__.startswith(sys.argv[1]) and not os.path.exists(m.__cached__))
        print(json.dumps({"aliyun": sys.modules[Client.__module__].__file__,
                          "tencent": sms_client.__file__, "without_bytecode": without}))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{task}:{layer_path}:{runtime}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "WZ_STAGE": "prod",
        "AWS_DEFAULT_REGION": "cn-northwest-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [str(clean / "bin" / "python"), "-c", probe, str(layer_path)],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["aliyun"].startswith(str(layer_path)), report
    assert report["tencent"].startswith(str(layer_path)), report
    assert report["without_bytecode"] == []


def test_compile_adds_bytecode_the_interpreter_loads_without_looking_at_the_source(
    tmp_path: Path,
) -> None:
    """Lambda unpacks the zip with whatever time stamps: the bytecode is used as it is."""
    from infra.package import compile_sources

    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        zipped.writestr("pkg/__init__.py", "VALUE = 'compiled'\n")
        zipped.writestr("pkg/broken.py", "def f(:\n")
    assert compile_sources(package) == (1, ["pkg/broken.py"])
    assert compile_sources(package) == (0, ["pkg/broken.py"])  # nothing twice
    with zipfile.ZipFile(package) as zipped:
        assert sorted(zipped.namelist()) == sorted(
            ["pkg/__init__.py", "pkg/broken.py", bytecode_name("pkg/__init__.py")]
        )
        zipped.extractall(tmp_path / "task")
    (tmp_path / "task" / "pkg" / "__init__.py").write_text("VALUE = 'source'\n")
    loaded = subprocess.run(
        [sys.executable, "-c", "import pkg; print(pkg.VALUE)"],
        cwd=tmp_path / "task",
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "compiled"
