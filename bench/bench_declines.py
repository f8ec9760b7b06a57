"""Cost of declined pairs in the matcher: ``python -m bench.bench_declines [--learners N]``.

Solves a generated instance, forbids every 20th proposed mentor pair and peer pair (as if
those people had declined), solves again and prints the time and the number of pairs both
times. Forbidden mentor pairs are taken out of the shortlist (their learners see all their
mentors instead), not out of the hub backbone, so the second count is the maximum over that
shortlist: the figure shows how close it stays to the first. Figures are printed, not asserted.

Measured on the shared 2-core VM, 20,000 learners: 596 forbidden mentor pairs (every 20th)
cost 1 of 11,908 mentorships and about 2 s; 60 (every 200th) cost none.
"""

from __future__ import annotations

import argparse
import time

from bench.bench_matching import generate
from bot.matching import instance_from_json, solve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--learners", type=int, default=20_000)
    ap.add_argument("--every", type=int, default=20, help="forbid every n-th proposed pair")
    args = ap.parse_args()
    n = args.learners
    inst = instance_from_json(generate(n, n // 5, n // 4, seed=3))
    start = time.perf_counter()
    before = solve(inst.learners, inst.mentors, inst.peers)
    plain = time.perf_counter() - start
    banned = [(m.learner, m.mentor) for m in before.matches[:: args.every]]
    banned_peers = [(p.a, p.b) for p in before.peer_pairs[:: args.every]]
    start = time.perf_counter()
    after = solve(
        inst.learners, inst.mentors, inst.peers, forbidden=banned, forbidden_peers=banned_peers
    )
    forbidding = time.perf_counter() - start
    print(f"{n} learners, {n // 5} mentors, {n // 4} peers")
    print(
        f"  no pair forbidden: {plain:6.2f} s  {len(before.matches)} mentorships,"
        f" {len(before.peer_pairs)} peer pairs"
    )
    print(
        f"  {len(banned)} + {len(banned_peers)} forbidden: {forbidding:6.2f} s"
        f"  {len(after.matches)} mentorships, {len(after.peer_pairs)} peer pairs"
    )


if __name__ == "__main__":
    main()
