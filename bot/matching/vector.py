"""Integer-coded, bit-packed views of learners, mentors and peers, for vectorized work.

Scoring millions of candidate pairs one Python call at a time would take minutes; on these
arrays it is a handful of numpy operations per chunk. ``tests/test_matching_properties.py``
checks that :func:`mentor_points` equals :func:`bot.matching.quality.describe_match` point for
point.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.matching.model import Format, Learner, Mentor, Peer
from bot.matching.quality import (
    DAY,
    HALF_DAY,
    P_COMMUNITY,
    P_COVERAGE,
    P_TIMEZONE,
    W_COMMUNITY,
    W_COVERAGE,
    W_LEVEL,
    W_METHODS,
    W_TIMEZONE,
    region_key,
)

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bool = npt.NDArray[np.bool_]

CHUNK = 1 << 20
"""Pairs scored per numpy pass; bounds the temporary arrays to a few tens of MB."""
PARALLEL_SORT = 1 << 20
"""Key arrays at least this long are sorted on two threads (:func:`sort_keys`)."""


class Vocab:
    """Strings to dense integer codes, assigned in sorted order so codes never depend on input
    order."""

    def __init__(self, values: Iterable[str]) -> None:
        self.names: list[str] = sorted(set(values))
        self.code: dict[str, int] = {v: i for i, v in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    @property
    def words(self) -> int:
        """uint64 words per bitset over this vocabulary (at least one)."""
        return max(1, (len(self.names) + 63) // 64)


@dataclass(frozen=True, slots=True)
class CSR:
    """A list of int lists: ``flat[offsets[i]:offsets[i + 1]]`` is item i's list."""

    offsets: I64
    flat: I64

    @property
    def counts(self) -> I64:
        return np.diff(self.offsets)

    @property
    def owner(self) -> I64:
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int64), self.counts)


def csr(lists: Iterable[Sequence[str]], vocab: Vocab) -> CSR:
    """Code each list with ``vocab`` (values missing from the vocabulary are dropped)."""
    code = vocab.code
    flat: list[int] = []
    offsets = [0]
    for items in lists:
        flat.extend(code[x] for x in items if x in code)
        offsets.append(len(flat))
    return CSR(np.asarray(offsets, dtype=np.int64), np.asarray(flat, dtype=np.int64))


def bitsets(lists: CSR, words: int) -> U64:
    """One row of ``words`` uint64 per item with bit ``c`` set for each code c in its list."""
    n = len(lists.offsets) - 1
    out = np.zeros((n, words), dtype=np.uint64)
    codes = lists.flat
    np.bitwise_or.at(
        out,
        (lists.owner, codes >> 6),
        np.left_shift(np.uint64(1), (codes & 63).astype(np.uint64)),
    )
    return out


def popcount(bits: U64) -> I64:
    """Set bits per row."""
    if bits.shape[-1] == 1:
        return np.asarray(np.bitwise_count(bits[..., 0]), dtype=np.int64)
    return np.asarray(np.bitwise_count(bits).sum(axis=-1, dtype=np.int64), dtype=np.int64)


def intersects(a: U64, b: U64) -> Bool:
    """Rows of ``a`` and ``b`` (broadcast) that share a bit."""
    return np.asarray((a & b).any(axis=-1), dtype=np.bool_)


def csr_product(a: CSR, b: CSR, keep: Bool | None = None) -> tuple[I64, I64, I64]:
    """All (owner, x, y) with x in a[owner] and y in b[owner]: the rows of the inverted index."""
    na, nb = a.counts, b.counts
    counts = na * nb
    if keep is not None:
        counts = np.where(keep, counts, 0)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(total, dtype=np.int64) - start
    nbo = nb[owner]
    x = a.flat[a.offsets[owner] + k // nbo]
    y = b.flat[b.offsets[owner] + k % nbo]
    return owner, x, y


@dataclass(frozen=True, slots=True)
class Side:
    """What learners, mentors and peers have in common, coded."""

    n: int
    skills: CSR
    """Wanted skills (learners, peers) or offered skills (mentors)."""
    skill_bits: U64
    langs: CSR
    lang_bits: U64
    community: I64
    """Community code, -1 for none."""
    tz: I64
    """UTC offset in minutes, normalised to [-720, 720) (0 when unknown)."""
    tz_known: Bool
    online: Bool
    offline_region: I64
    """Region code when the person can meet offline in a known region, else -1."""


@dataclass(frozen=True, slots=True)
class Vocabs:
    skills: Vocab
    langs: Vocab
    communities: Vocab
    regions: Vocab
    methods: Vocab


def vocabs(learners: Sequence[Learner], mentors: Sequence[Mentor], peers: Sequence[Peer]) -> Vocabs:
    """One vocabulary per attribute over the whole instance."""
    people: list[Learner | Mentor | Peer] = [*learners, *mentors, *peers]
    skills = {s for x in learners for s in x.wants} | {s for x in mentors for s in x.offers}
    skills |= {s for x in peers for s in (*x.wants, *x.offers)}
    return Vocabs(
        skills=Vocab(skills),
        langs=Vocab(g for x in people for g in x.languages),
        communities=Vocab(x.community for x in people if x.community is not None),
        regions=Vocab(r for x in people if (r := region_key(x.region)) is not None),
        methods=Vocab(
            [m for x in learners for m in x.methods] + [m for x in mentors for m in x.methods]
        ),
    )


def _side(
    people: Sequence[Learner | Mentor | Peer], skills: Iterable[Sequence[str]], v: Vocabs
) -> Side:
    skill_csr = csr(skills, v.skills)
    lang_csr = csr((x.languages for x in people), v.langs)
    ccode, rcode = v.communities.code, v.regions.code
    fmts: list[Format] = [x.format for x in people]
    regions = [region_key(x.region) for x in people]
    tzs = [x.timezone_offset for x in people]
    return Side(
        n=len(people),
        skills=skill_csr,
        skill_bits=bitsets(skill_csr, v.skills.words),
        langs=lang_csr,
        lang_bits=bitsets(lang_csr, v.langs.words),
        community=np.asarray(
            [-1 if x.community is None else ccode[x.community] for x in people], dtype=np.int64
        ),
        # Normalised to [-720, 720): same circular distances, and keys stay in range.
        tz=np.asarray([0 if t is None else (t + 720) % 1440 - 720 for t in tzs], dtype=np.int64),
        tz_known=np.asarray([t is not None for t in tzs], dtype=np.bool_),
        online=np.asarray([f != "offline" for f in fmts], dtype=np.bool_),
        offline_region=np.asarray(
            [
                rcode[r] if f != "online" and r is not None else -1
                for f, r in zip(fmts, regions, strict=True)
            ],
            dtype=np.int64,
        ),
    )


@dataclass(frozen=True, slots=True)
class LearnerArrays:
    side: Side
    n_wants: I64
    targets: U64
    """(n, 4, words): bit s of plane k set when the target level for skill s is k + 1."""
    has_targets: Bool
    method_bits: U64
    n_methods: I64

    @property
    def targets_2d(self) -> U64:
        return self.targets.reshape(len(self.targets), -1)


@dataclass(frozen=True, slots=True)
class MentorArrays:
    side: Side
    at_least: U64
    """(n, 4, words): bit s of plane k set when the mentor's level in skill s is >= k + 1."""
    method_bits: U64

    @property
    def at_least_2d(self) -> U64:
        return self.at_least.reshape(len(self.at_least), -1)


def _level_planes(levels: Sequence[dict[str, int]], v: Vocab, exact: bool) -> tuple[U64, Bool]:
    """Per person, 4 bit planes over skills: plane k holds the skills at level k + 1 (exact),
    or at level k + 1 or above (not exact)."""
    planes = np.zeros((len(levels), 4, v.words), dtype=np.uint64)
    rows = np.asarray([i for i, lv in enumerate(levels) for _ in lv], dtype=np.int64)
    codes = np.asarray([v.code.get(sk, -1) for lv in levels for sk in lv], dtype=np.int64)
    level = np.asarray([n for lv in levels for n in lv.values()], dtype=np.int64)
    known = codes >= 0
    rows, codes, level = rows[known], codes[known], level[known]
    if exact:
        ks = level - 1
    else:  # one entry per plane 0 .. level - 1
        rows, codes = np.repeat(rows, level), np.repeat(codes, level)
        ks = np.arange(len(rows)) - np.repeat(np.cumsum(level) - level, level)
    if len(rows):
        # OR the bits into their words: sort by word, then one reduceat per run of a word
        # (np.bitwise_or.at does the same one element at a time, several times slower).
        word = (rows * 4 + ks) * v.words + (codes >> 6)
        bit = np.left_shift(np.uint64(1), (codes & 63).astype(np.uint64))
        order = np.argsort(word, kind="stable")
        word, bit = word[order], bit[order]
        starts = np.flatnonzero(np.concatenate([[True], word[1:] != word[:-1]]))
        planes.reshape(-1)[word[starts]] = np.bitwise_or.reduceat(bit, starts)
    return planes, np.asarray(planes.any(axis=(1, 2)), dtype=np.bool_)


def learner_arrays(learners: Sequence[Learner], v: Vocabs) -> LearnerArrays:
    side = _side(learners, (x.wants for x in learners), v)
    targets, has = _level_planes(
        [{s: lv for s, lv in x.levels.items() if s in x.wants} for x in learners], v.skills, True
    )
    methods = csr((x.methods for x in learners), v.methods)
    return LearnerArrays(
        side=side,
        n_wants=side.skills.counts,
        targets=targets,
        has_targets=has,
        method_bits=bitsets(methods, v.methods.words),
        n_methods=methods.counts,
    )


def mentor_arrays(mentors: Sequence[Mentor], v: Vocabs) -> MentorArrays:
    side = _side(mentors, (x.offers for x in mentors), v)
    at_least, _ = _level_planes([dict(x.levels) for x in mentors], v.skills, False)
    methods = csr((x.methods for x in mentors), v.methods)
    return MentorArrays(side=side, at_least=at_least, method_bits=bitsets(methods, v.methods.words))


def peer_side(peers: Sequence[Peer], v: Vocabs) -> tuple[Side, CSR, U64]:
    """A peer's wants as the Side, plus offers as a CSR and bitsets."""
    side = _side(peers, (x.wants for x in peers), v)
    offers = csr((x.offers for x in peers), v.skills)
    return side, offers, bitsets(offers, v.skills.words)


def _tz_points(a: Side, ai: I64, b: Side, bi: I64, weight: int) -> I64:
    d = np.abs(a.tz[ai] - b.tz[bi]) % DAY
    d = np.minimum(d, DAY - d)
    known = a.tz_known[ai] & b.tz_known[bi]
    return np.where(known, weight * (HALF_DAY - d) // HALF_DAY, weight // 2)


def _same_community(a: Side, ai: I64, b: Side, bi: I64) -> Bool:
    ca = a.community[ai]
    return np.asarray((ca >= 0) & (ca == b.community[bi]), dtype=np.bool_)


def sort_keys(keys: I64) -> I64:
    """``np.sort`` of a large int64 key array, halves sorted on two threads, then merged.

    numpy sorts in one thread without the GIL; the stable merge of two sorted runs is a
    linear pass (timsort finds the runs), so two cores nearly halve the time.
    """
    if len(keys) < PARALLEL_SORT or (os.cpu_count() or 1) < 2:
        return np.sort(keys)
    half = len(keys) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        left, right = pool.map(np.sort, (keys[:half], keys[half:]))
    return np.sort(np.concatenate([left, right]), kind="stable")


def mentor_points(la: LearnerArrays, ma: MentorArrays, li: I64, mi: I64) -> I64:
    """Quality points of compatible pairs (li[k], mi[k]), exactly as ``describe_match``.

    Chunks are scored on a small thread pool: numpy releases the GIL inside its kernels, so
    on the bench's two cores the millions of candidate pairs take about half the time.
    """
    out = np.empty(len(li), dtype=np.int64)
    starts = range(0, len(li), CHUNK)
    if len(starts) < 2:
        for lo in starts:
            out[lo : lo + CHUNK] = _chunk_points(la, ma, li[lo : lo + CHUNK], mi[lo : lo + CHUNK])
        return out

    def score(lo: int) -> None:
        out[lo : lo + CHUNK] = _chunk_points(la, ma, li[lo : lo + CHUNK], mi[lo : lo + CHUNK])

    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        list(pool.map(score, starts))
    return out


def _chunk_points(la: LearnerArrays, ma: MentorArrays, a: I64, b: I64) -> I64:
    ls, ms = la.side, ma.side
    covered = ls.skill_bits[a] & ms.skill_bits[b]
    n_cov = np.maximum(popcount(covered), 1)
    pts = np.where(_same_community(ls, a, ms, b), W_COMMUNITY, 0)
    pts += W_COVERAGE * n_cov // np.maximum(la.n_wants[a], 1)
    unfit = np.zeros_like(covered)
    sel = np.flatnonzero(la.has_targets[a])
    if len(sel):
        # Planes as contiguous (n, 4 * words) rows: one gather per side, then 4 ANDs.
        t, g = la.targets_2d[a[sel]], ma.at_least_2d[b[sel]]
        w = covered.shape[1]
        bad = t[:, :w] & ~g[:, :w]
        for k in range(1, 4):
            bad |= t[:, k * w : (k + 1) * w] & ~g[:, k * w : (k + 1) * w]
        unfit[sel] = bad
        unfit &= covered
    pts += W_LEVEL * (n_cov - popcount(unfit)) // n_cov
    pts += _tz_points(ls, a, ms, b, W_TIMEZONE)
    nm = la.n_methods[a]
    shared = popcount(la.method_bits[a] & ma.method_bits[b])
    pts += np.where(nm > 0, W_METHODS * shared // np.maximum(nm, 1), W_METHODS)
    return np.asarray(pts, dtype=np.int64)


def peer_points_v(side: Side, offers: U64, ai: I64, bi: I64) -> I64:
    """Peer pair points, exactly as ``quality.peer_points``."""
    n = side.skills.counts
    pts = np.where(_same_community(side, ai, side, bi), P_COMMUNITY, 0)
    pts += P_COVERAGE * popcount(side.skill_bits[ai] & offers[bi]) // np.maximum(n[ai], 1)
    pts += P_COVERAGE * popcount(side.skill_bits[bi] & offers[ai]) // np.maximum(n[bi], 1)
    pts += _tz_points(side, ai, side, bi, P_TIMEZONE)
    return np.asarray(pts, dtype=np.int64)
