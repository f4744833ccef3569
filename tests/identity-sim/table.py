#!/usr/bin/env python3
"""Measures `identity.probability`'s default table (crates/domain/src/identity/
probability.rs, DEFAULT_TABLE) from simulator runs: give it the files SIM_CALLS_OUT
wrote; it prints, per kind of evidence and tenth of confidence, the share of calls whose
customer_ref was the caller, made non-decreasing (pool adjacent violators, weighted by
calls) and rounded to two decimals, as the Rust table. Cells without calls take the
cell below them (the table must be monotone). Standard library only.

    SIM_CALLS_OUT=target/sim-1.jsonl SIM_SEED=1 make identity-sim
    python3 tests/identity-sim/table.py target/sim-*.jsonl
"""

import json
import sys

KINDS = ["Named", "ExternalId", "Contradicted", "SharedNumber", "Mobile", "Landline",
         "OtherNumber"]


def basis(sources):
    """The row of a call's sources, as `Basis::of` reads them."""
    for k, source in enumerate(["customer_ref", "external_id", "conflict:external_id",
                                "ani:shared", "ani:mobile", "ani:landline"]):
        if source in sources:
            return k
    if any(s.startswith("ani:") for s in sources):
        return 6
    return None


def monotone(cells):
    blocks = []
    for value, weight in cells:
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    out = []
    for value, _, length in blocks:
        out += [value] * length
    return out


def main(paths):
    calls = [[0] * 10 for _ in KINDS]
    right = [[0] * 10 for _ in KINDS]
    for path in paths:
        with open(path) as f:
            for line in f:
                call = json.loads(line)
                k = basis(call["sources"])
                if k is None:
                    continue
                t = min(int(round(call["confidence"] * 100)) // 10, 9)
                calls[k][t] += 1
                right[k][t] += call["right"]
    for k, kind in enumerate(KINDS):
        cells, last = [], 0.0
        for t in range(10):
            if calls[k][t]:
                last = right[k][t] / calls[k][t]
                cells.append((last, calls[k][t]))
            else:
                cells.append((last, 0.001))
        fitted = monotone(cells)
        counts = ", ".join(str(c) for c in calls[k])
        print(f"    // {kind} (calls per tenth: {counts})")
        print("    [" + ", ".join(f"{p:.2f}" for p in fitted) + "],")


if __name__ == "__main__":
    main(sys.argv[1:])
