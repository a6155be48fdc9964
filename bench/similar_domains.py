"""Lookalike generation against dnstwist: time and coverage, domain by domain.

dnstwist's ``Fuzzer(domain).generate()`` (all its default fuzzers, no dictionary) is
timed against our ``generate()`` with the techniques that correspond to those fuzzers
(typosquatting, bitsquatting, homoglyph, tld_variation) and no limit. Rounds interleave
the two, alternating which goes first; a short run is repeated within a round until it
takes 50 ms; each side's median time per call is reported. Coverage is
dnstwist's names minus ours, which must be empty. Exits 1 if it is not.

    .venv/bin/python bench/similar_domains.py [--rounds 5] [domain ...]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dnstwist  # noqa: E402  (development dependency, used as the yardstick)

from jobs.lookalike import generate  # noqa: E402

CORRESPONDING = ["typosquatting", "bitsquatting", "homoglyph", "tld_variation"]
DOMAINS = [
    "example.com", "paypal.com", "google.co.uk", "xn--bcher-kva.de", "bücher.de",
    "shop.example.co.uk", "internationalbusinessmachines.com",
]
TARGET_RATIO = 0.5
MIN_BATCH = 0.05  # seconds: short runs are repeated until a batch takes this long


def ours(domain: str) -> set[str]:
    return {v.name for v in generate(domain, CORRESPONDING, None)}


def theirs(domain: str) -> set[str]:
    fuzzer = dnstwist.Fuzzer(domain)
    fuzzer.generate()
    return {p["domain"] for p in fuzzer.domains if p["fuzzer"] != "*original"}


def timed(fn, domain: str, repeat: int = 1) -> float:
    """Seconds per call, over ``repeat`` calls (a millisecond is too short to time once)."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(repeat):
        fn(domain)
    return (time.perf_counter() - start) / repeat


def repeats(fn, domain: str) -> int:
    return max(1, int(MIN_BATCH / timed(fn, domain)))


def measure(domains: list[str], rounds: int) -> dict[str, dict[str, list[float]]]:
    times = {d: {"ours": [], "theirs": []} for d in domains}
    sides = [("ours", ours), ("theirs", theirs)]
    batch = {(d, side): repeats(fn, d) for d in domains for side, fn in sides}
    for round_ in range(rounds):
        for domain in domains:
            for side, fn in sides if round_ % 2 == 0 else sides[::-1]:
                times[domain][side].append(timed(fn, domain, batch[domain, side]))
    return times


def report(domains: list[str], times: dict, cold: float) -> bool:
    print(f"{'domain':36} {'ours':>7} {'theirs':>7} {'ours ms':>9} {'theirs ms':>9} "
          f"{'ratio':>6} {'missing':>7}")
    ok = True
    sum_ours = sum_theirs = 0.0
    for domain in domains:
        mine, other = ours(domain), theirs(domain)
        missing = other - mine
        t_ours = statistics.median(times[domain]["ours"])
        t_theirs = statistics.median(times[domain]["theirs"])
        sum_ours, sum_theirs = sum_ours + t_ours, sum_theirs + t_theirs
        ok &= not missing
        print(f"{domain:36} {len(mine):>7} {len(other):>7} {t_ours * 1000:>9.1f} "
              f"{t_theirs * 1000:>9.1f} {t_ours / t_theirs:>6.2f} {len(missing):>7}")
        for name in sorted(missing)[:5]:
            print(f"    missing: {name}")
    print(f"\nall domains: ours {sum_ours * 1000:.1f} ms, dnstwist {sum_theirs * 1000:.1f} ms, "
          f"ratio {sum_ours / sum_theirs:.2f} (target <= {TARGET_RATIO})")
    print(f"first call in this process (tables and suffix list loading): {cold * 1000:.1f} ms")
    print("coverage: " + ("every dnstwist name is ours too" if ok else "INCOMPLETE"))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("domains", nargs="*", default=DOMAINS)
    args = parser.parse_args(argv)
    cold = timed(ours, args.domains[0])
    times = measure(args.domains, args.rounds)
    return 0 if report(args.domains, times, cold) else 1


if __name__ == "__main__":
    sys.exit(main())
