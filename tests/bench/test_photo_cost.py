"""Photo processing (§13, issue 15 §5): the time and peak memory of processing one
12-megapixel camera JPEG, and the same picture as an iPhone's HEIC
(``functions.services.photos.render``: decode, orient, strip, write the display version and
the thumbnail), as ratios to a bare Pillow decode of the same file (``Image.open(…).load()``)
measured in the same run.

Each figure is taken in a fresh interpreter (the memory a Lambda instance needs is its peak
resident set: ``VmHWM`` above what the interpreter held with Pillow imported and the file
read), the two kinds alternately, several rounds, medians of CPU time (user + system: on a
shared machine the wall time mostly measures the neighbours). ``make bench``
(``BENCH_PHOTO_ROUNDS=9``) prints the figures for docs/PERFORMANCE.md; ``make test`` runs
one round so the measurement itself stays tested, and asserts only what is deterministic."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = int(os.environ.get("BENCH_PHOTO_ROUNDS", "1"))
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import io, json, os, resource, sys
sys.path.insert(0, {root!r})
from PIL import Image
from functions.services import photos
photos._open_heif()  # registered (and pillow-heif imported) before either is measured

def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

data = open({path!r}, "rb").read()
kind = {kind!r}
before_kb, before = peak_kb(), os.times()
if kind == "decode":
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        size = picture.size
else:
    rendered = photos.render(data)
    size = rendered.size
after = os.times()
print(json.dumps({{
    "cpu": (after.user - before.user) + (after.system - before.system),
    "peak_kb": peak_kb() - before_kb,
    "size": size,
}}))
"""


def camera_file(path: Path, fmt: str = "JPEG") -> Path:
    """A 4000×3000 camera picture (JPEG, or HEIC as an iPhone writes it) with GPS EXIF whose
    content does not compress to nothing (noise over gradients, as a photo of a street is)."""
    import io

    from PIL import Image

    from functions.services import photos
    from tests.photo_files import camera_jpeg

    photos._open_heif()

    noise = Image.effect_noise((4000, 3000), 48)
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    picture = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
    # The EXIF (orientation 6, GPS) of a phone's file, on these pixels.
    with Image.open(io.BytesIO(camera_jpeg(8, 6))) as tagged:
        exif = tagged.getexif()
    # An iPhone's HEIC of the same scene is about half its JPEG: quality 50 lands near there.
    if fmt == "JPEG":
        picture.save(path, format=fmt, quality=90, exif=exif.tobytes())
    else:  # x265's fastest preset: the encoding is not what is measured (12 s → 2 s)
        picture.save(
            path, format=fmt, quality=50, exif=exif.tobytes(), enc_params={"preset": "ultrafast"}
        )
    return path


def measure(kind: str, path: Path) -> dict[str, float]:
    code = PROBE.format(root=str(ROOT), path=str(path), kind=kind)
    env = {**os.environ, "WZ_STAGE": "local"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    ("fmt", "decoded"),
    # A HEIC decodes upright already (libheif applies the file's rotation): 3000×4000.
    [("JPEG", (4000, 3000)), ("HEIF", (3000, 4000))],
    ids=["jpeg", "heic"],
)
def test_processing_a_12_megapixel_photo_against_a_bare_decode(
    tmp_path: Path, fmt: str, decoded: tuple[int, int]
) -> None:
    path = camera_file(tmp_path / f"camera-12mp.{fmt.lower()}", fmt)
    decodes, renders = [], []
    for _ in range(ROUNDS):
        decodes.append(measure("decode", path))
        renders.append(measure("render", path))
    assert {tuple(d["size"]) for d in decodes} == {decoded}
    assert {tuple(r["size"]) for r in renders} == {(1200, 1600)}  # upright, within 1600 px

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    decode_cpu, render_cpu = median(decodes, "cpu"), median(renders, "cpu")
    decode_kb, render_kb = median(decodes, "peak_kb"), median(renders, "peak_kb")
    print(
        f"\n12 MP {fmt} ({path.stat().st_size / 1e6:.1f} MB), {ROUNDS} rounds, medians: "
        f"bare decode {decode_cpu * 1000:.0f} ms CPU, +{decode_kb / 1024:.1f} MB peak; "
        f"processing {render_cpu * 1000:.0f} ms CPU, +{render_kb / 1024:.1f} MB peak; "
        f"ratios: time {render_cpu / max(decode_cpu, 1e-3):.2f}×, "
        f"memory {render_kb / max(decode_kb, 1):.2f}×"
    )
