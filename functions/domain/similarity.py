"""Similar reports (§14): is the citizen about to report what someone already has?

No word list and no segmenter: a report is the set of characters of its title and the
start of its content, normalised (full-width to half-width, lower case, only ideographs,
letters and digits) and without the few dozen function characters (的, 了, 是, 请, 您 …) that
every report has. Two reports are as similar as the Jaccard index of those sets. Tuned on
``tests/data/similar_pairs.jsonl`` (289 pairs written for it: the same problem in other
words, the same place with another problem, the same problem elsewhere, unrelated, shared
boilerplate): character bigrams, the first idea, put two citizens' words for one broken
streetlight at a median Jaccard index of 0.09, no better than unrelated reports of the same
place; single characters put them at 0.28 against 0.14 (docs/PERFORMANCE.md, "Similar
cases").

Finding the similar ones without reading every case is MinHash with LSH bands: a report's
signature is, for each of ``BANDS × ROWS`` hash functions, the smallest hash over its
characters (two reports agree on one such minimum with probability equal to their Jaccard
index); the signature is cut into ``BANDS`` bands of ``ROWS`` values and each band hashed to
a key. Reports that share a band key are candidates: similar ones with probability
``1 - (1 - J**ROWS)**BANDS``, dissimilar ones rarely. A report with a point also has a place
key, the ~600 m grid cell it lies in; a lookup with a point asks the four cells around it,
so two reports of one spot are candidates whatever their words. The keys are written with
the case (one index item each, in the submission's own transaction) and a lookup reads only
the items under its own keys; the candidates are then scored exactly.

The constants are part of the stored data: a change to the text, the hash functions, the
banding or the grid makes keys that old cases do not have, so ``SCHEME`` names them and
goes into every key (a new scheme is a new index, filled as cases come in; the window is 90
days).

Pure: no storage, no clock."""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SCHEME = "m1"  # names the text, the hash functions, the banding and the grid below
# Of the content: the first sentence or two, where a citizen says what and where (and what
# the submit page has when it first asks); every comparison takes the same length.
TEXT_CHARS = 60
# Function characters (particles, pronouns, 请/您) in nearly every report: they say nothing
# of what the report is about. Not a lexicon: the text is never segmented.
FUNCTION_CHARS = frozenset(
    "的了是在有我们这那你他她它就都也还和与及请您吗呢吧啊很太已经被把让给对为个些之其而且或但"
)
BANDS = 16
ROWS = 2
NUM_HASHES = BANDS * ROWS
WINDOW_DAYS = 90  # open or closed within this many days: a suggestion older is no help
MAX_SUGGESTIONS = 5
# A candidate is offered when its characters overlap the report's this much (Jaccard): on
# the labelled set, precision 0.95 and recall 0.78 with the place key …
MIN_SIMILARITY = 0.22
# … and, when both have a point, they are at most this far apart: the same words about a
# place a kilometre away are another streetlight.
MAX_DISTANCE_M = 1000.0
# The index items carry each case's characters and point, so every candidate is scored
# before any case is read; then the best this many are read (public or open ones kept).
MAX_CANDIDATES = 20
CELL_DEGREES = 0.006  # the place key's grid: ~670 m north–south, ~580 m east–west at 30°N

_PRIME = (1 << 61) - 1  # a Mersenne prime: (a·x + b) mod p is a universal hash family
_SEEDED = random.Random(20261205)  # fixed for SCHEME m1: keys written must match lookups
_A = tuple(_SEEDED.randrange(1, _PRIME) for _ in range(NUM_HASHES))
_B = tuple(_SEEDED.randrange(0, _PRIME) for _ in range(NUM_HASHES))

# Kept: CJK ideographs, letters and digits (house numbers, road numbers, bus lines).
_DROPPED = re.compile(r"[^\w]|_", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, and only letters,
    digits and ideographs kept."""
    return _DROPPED.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(title: str, content: str) -> frozenset[str]:
    """The characters of the title and the start of the content, without function
    characters (both sides of a comparison the same length of text)."""
    return frozenset(normalise(f"{title}{content[:TEXT_CHARS]}")) - FUNCTION_CHARS


def _shingle_hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _PRIME


def signature(found: Iterable[str]) -> tuple[int, ...]:
    """The MinHash signature (NUM_HASHES values); all ``_PRIME`` for no shingles."""
    xs = [_shingle_hash(s) for s in found]
    if not xs:
        return (_PRIME,) * NUM_HASHES
    return tuple(min((a * x + b) % _PRIME for x in xs) for a, b in zip(_A, _B, strict=True))


def band_keys(sig: Sequence[int]) -> list[str]:
    """One key per band: ``<scheme>.<band>.<hash of the band's values>``."""
    keys = []
    for band in range(BANDS):
        values = sig[band * ROWS : (band + 1) * ROWS]
        packed = b"".join(v.to_bytes(8, "big") for v in values)
        keys.append(f"{SCHEME}.{band}.{hashlib.blake2b(packed, digest_size=8).hexdigest()}")
    return keys


def keys_of(title: str, content: str) -> list[str]:
    found = shingles(title, content)
    return band_keys(signature(found)) if found else []


def _cell(lat: float, lng: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lng / CELL_DEGREES)


def place_key(lat: float, lng: float) -> str:
    """The key of the grid cell a point lies in (written with a case that has a point)."""
    row, column = _cell(lat, lng)
    return f"{SCHEME}.g.{row}.{column}"


def place_keys_around(lat: float, lng: float) -> list[str]:
    """The four cells nearest a point (its own and the three on the sides it is nearest):
    every point within half a cell of it lies in one of them."""
    half = CELL_DEGREES / 2
    cells = {_cell(lat + dy, lng + dx) for dy in (-half, half) for dx in (-half, half)}
    return [f"{SCHEME}.g.{row}.{column}" for row, column in sorted(cells)]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def collision_probability(similarity: float) -> float:
    """How likely two reports this similar share at least one band key."""
    return 1 - (1 - similarity**ROWS) ** BANDS


@dataclass(frozen=True)
class Report:
    """What is compared: the text, and the point where there is one."""

    title: str
    content: str
    lat: float | None = None
    lng: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lat, self.lng) if self.lat is not None and self.lng is not None else None

    def sketch(self) -> Sketch:
        return Sketch(shingles(self.title, self.content), self.point)


@dataclass(frozen=True)
class Sketch:
    """What a comparison needs of a report (and what the index keeps of each case): its
    characters and its point."""

    chars: frozenset[str]
    point: tuple[float, float] | None = None

    @property
    def text(self) -> str:
        """The characters as stored: sorted, one string."""
        return "".join(sorted(self.chars))


@dataclass(frozen=True)
class Match:
    similarity: float  # the Jaccard index of the two character sets
    distance_m: float | None  # when both have a point


def compare(report: Report | Sketch, other: Report | Sketch) -> Match | None:
    """The match when ``other`` is likely the same problem as ``report``, else None: similar
    enough in words, and not too far apart when both have a point."""
    from functions.domain.geo import distance_m

    a = report.sketch() if isinstance(report, Report) else report
    b = other.sketch() if isinstance(other, Report) else other
    similarity = jaccard(a.chars, b.chars)
    if similarity < MIN_SIMILARITY:
        return None
    distance = distance_m(a.point, b.point) if a.point and b.point else None
    if distance is not None and distance > MAX_DISTANCE_M:
        return None
    return Match(similarity, distance)


def rank_key(match: Match) -> tuple[float, float]:
    """Most similar first; nearer first among equals."""
    return (
        -round(match.similarity, 3),
        match.distance_m if match.distance_m is not None else math.inf,
    )
