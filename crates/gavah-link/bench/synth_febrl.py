"""A FEBRL-like person file of any size with ground truth, standard library only.

Written for Gavah's linkage benchmark on machines without numpy (the peer
script ../../../../shared/bench/splink/synth_generate.py needs numpy and
pandas). It follows the same published recipe: values drawn from the FEBRL
originals, dates of birth uniform over 1920-2009, unique 7-digit social
security numbers, about 40% of rows corrupted duplicates (1-5 per original),
1-3 corrupted fields per duplicate (typo, blank, given/surname swap, day/month
swap). Its random stream differs from numpy's, so the file is statistically
alike, not byte-identical.

    python3 synth_febrl.py --records 1000000 --seed 42 --out synth_1m.csv
"""
import argparse
import bisect
import csv
import datetime
import itertools
import random
from collections import Counter
from pathlib import Path

FEBRL = Path(__file__).resolve().parents[4] / "shared" / "data" / "febrl"
FIELDS = ["given_name", "surname", "street_number", "address_1", "address_2",
          "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]
BLANK_RATE = {"given_name": 0.02, "surname": 0.01, "street_number": 0.03,
              "address_1": 0.02, "address_2": 0.09, "suburb": 0.01,
              "postcode": 0.005, "state": 0.01, "date_of_birth": 0.01,
              "soc_sec_id": 0.005}
CORRUPT_WEIGHT = {"given_name": 0.2, "surname": 0.2, "date_of_birth": 0.15,
                  "address_1": 0.1, "suburb": 0.05, "postcode": 0.08,
                  "street_number": 0.07, "soc_sec_id": 0.1, "address_2": 0.05}
NUMERIC = {"date_of_birth", "postcode", "street_number", "soc_sec_id"}


class Weighted:
    """Draws values with their observed frequencies."""

    def __init__(self, counts):
        self.values = list(counts)
        self.cum = list(itertools.accumulate(counts[v] for v in self.values))

    def draw(self, rng):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def originals():
    rows = []
    for name in ("febrl1.csv", "febrl2.csv", "febrl3.csv", "febrl4a.csv"):
        with open(FEBRL / name, newline="") as f:
            rows.extend(r for r in csv.DictReader(f) if r["rec_id"].endswith("-org"))
    return rows


def typo(rng, s, digits):
    if not s:
        return s
    alphabet = "0123456789" if digits else "abcdefghijklmnopqrstuvwxyz"
    i = rng.randrange(len(s))
    c = rng.choice(alphabet)
    op = rng.randrange(4)
    if op == 0:
        return s[:i] + c + s[i:]
    if op == 1 and len(s) > 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + c + s[i + 1:]
    if len(s) > 1:
        j = min(i, len(s) - 2)
        return s[:j] + s[j + 1] + s[j] + s[j + 2:]
    return s + c


def corrupt(rng, rec):
    rec = dict(rec)
    fields = list(CORRUPT_WEIGHT)
    weights = [CORRUPT_WEIGHT[f] for f in fields]
    k = rng.choices([1, 2, 3], weights=[0.4, 0.35, 0.25])[0]
    chosen = []
    while len(chosen) < k:
        f = rng.choices(fields, weights=weights)[0]
        if f not in chosen:
            chosen.append(f)
    for f in chosen:
        v = rec[f]
        u = rng.random()
        if u < 0.12:
            rec[f] = ""
        elif f == "given_name" and u < 0.2:
            rec["given_name"], rec["surname"] = rec["surname"], rec["given_name"]
        elif f == "date_of_birth" and u < 0.35 and len(v) == 8:
            rec[f] = v[:4] + v[6:8] + v[4:6]
        else:
            rec[f] = typo(rng, v, f in NUMERIC)
            if rng.random() < 0.2:
                rec[f] = typo(rng, rec[f], f in NUMERIC)
    return rec


def generate(n_records, seed):
    rng = random.Random(seed)
    orig = originals()
    draw = {c: Weighted(Counter(r[c] for r in orig if r[c]))
            for c in ("given_name", "surname", "address_1", "address_2", "street_number")}
    places = [(r["suburb"], r["postcode"], r["state"]) for r in orig
              if r["suburb"] and r["postcode"] and r["state"]]
    n_orig = int(n_records * 0.6)
    start = datetime.date(1920, 1, 1)
    span = (datetime.date(2010, 1, 1) - start).days
    ssns = rng.sample(range(1_000_000, 10_000_000), n_orig)
    people = []
    for i in range(n_orig):
        suburb, postcode, state = rng.choice(places)
        rec = {c: draw[c].draw(rng) for c in draw}
        rec.update(suburb=suburb, postcode=postcode, state=state,
                   date_of_birth=(start + datetime.timedelta(days=rng.randrange(span))).strftime("%Y%m%d"),
                   soc_sec_id=str(ssns[i]))
        for c, p in BLANK_RATE.items():
            if rng.random() < p:
                rec[c] = ""
        rec["rec_id"], rec["entity_id"] = f"rec-{i}-org", str(i)
        people.append(rec)
    out = list(people)
    dup_counts = [1, 2, 3, 4, 5]
    dup_weights = [0.42, 0.25, 0.16, 0.10, 0.07]
    while len(out) < n_records:
        i = rng.randrange(n_orig)
        k = min(rng.choices(dup_counts, weights=dup_weights)[0], n_records - len(out))
        for j in range(k):
            d = corrupt(rng, people[i])
            d["rec_id"] = f"rec-{i}-dup-{rng.randrange(10**9)}"
            out.append(d)
    rng.shuffle(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=float, default=1e6)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = generate(int(a.records), a.seed)
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["rec_id", "entity_id"] + FIELDS)
        w.writeheader()
        w.writerows(rows)
    sizes = Counter(r["entity_id"] for r in rows)
    true_pairs = sum(c * (c - 1) // 2 for c in sizes.values())
    print(f"wrote {a.out}: {len(rows)} records, {len(sizes)} entities, {true_pairs} true pairs")


if __name__ == "__main__":
    main()
