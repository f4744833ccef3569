#!/usr/bin/env python3
"""The identity simulator (`make identity-sim`): a simulated contact center's calls
replayed through the real API, and how well "who is this?" was answered, per kind of
call.

The world (seeded by SIM_SEED, SIM_CALLS calls, one person per five calls):
- people with their own mobile, households sharing a landline, a 25-seat company whose
  PBX line shows one number for all, withheld numbers;
- a CRM id on a third of calls (`crm`), a carrier line type on SIM_LINE_TYPE_SHARE of
  them (default 0.9; a third of household landlines are never typed), and the
  STIR/SHAKEN attestation of the number's carrier in the platforms' spellings, missing
  on SIM_ABSENT_SHARE of its genuine calls (default 0.15: international legs and
  platforms that do not pass it);
- mobiles recycled: a number moves to a new person after lying dormant (the old
  owner's history is moved 120 days back in the database), its old owner gets a new one;
  half of the new owners give their own CRM id on their first call;
- spoofs (SIM_SPOOF_SHARE of calls, default 1 in 599: Pindrop's published fraud rate):
  someone else calls with a customer's mobile, with attestation C, failed or
  none.
Each call is started with what the platform knows and ended by the agent naming the
true person (`customer_ref`), as an agent who checked would.

Printed per kind of call: `reuse` rate, wrong-person `reuse` rate, and how often the
true caller was among `customer_ref` + `identity.candidates` when the service could
know them (seen before on this number or with this CRM id); then `identity.probability`
against what happened, per tenth; then the targets of docs/IDENTITY.md. A development tool: it exits 0 whatever the figures, unless
SIM_STRICT=1. SIM_STORE picks the store (sqlite, or the URL of an empty PostgreSQL
database, reached with psql too);
SIM_JSON writes the figures as JSON. SIM_HISTORY replays that many calls first, not
counted (the service's past, which learning learns from). SIM_SETTINGS is the identity settings document the
tenant PUTs first (default `{}`: the defaults, as a new tenant has them), and again
at each simulated day's end, which reloads the policy at once (a day of real traffic
would have reloaded it many times over; STICKYCALLS_SETTINGS_CACHE_SECONDS=1 besides).
SIM_CALLS_PER_DAY (default 25) sets how many calls make a day: after each, the stored
history moves a day back. The service's own calibration report
(`GET /v1/identity/calibration`) is printed at the end. Standard library only."""

import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from server import cli, free_port, funded_account, require_binary, serve  # noqa: E402

SEED = int(os.environ.get("SIM_SEED", "7"))
CALLS = int(os.environ.get("SIM_CALLS", "2500"))
# SIM_HISTORY: calls replayed first and not counted (a contact center with a past:
# what learning has to learn from), default 0 (a service starting empty).
HISTORY = int(os.environ.get("SIM_HISTORY", "0"))
STORE = os.environ.get("SIM_STORE", "sqlite")
PBX_SEATS = 25
# Share of calls whose platform looked the line type up (a carrier lookup).
LINE_TYPE_SHARE = float(os.environ.get("SIM_LINE_TYPE_SHARE", "0.9"))
SETTINGS = json.loads(os.environ.get("SIM_SETTINGS", "{}"))
# Share of calls that are someone else calling with a known customer's mobile number.
# Default: Pindrop's published fraud rate, 1 in 599 calls to contact centers (2024;
# pindrop.com, "How One Agency Fought Back Against Rising Contact Center Fraud", 2025),
# all of it counted as spoofing a customer's own mobile (the worst case for identity).
# SIM_SPOOF_SHARE=0.014 is the stress rate of earlier versions.
SPOOF_SHARE = float(os.environ.get("SIM_SPOOF_SHARE", str(round(1 / 599, 5))))
# Share of a number's genuine calls that arrive without its carrier's attestation.
ABSENT_SHARE = float(os.environ.get("SIM_ABSENT_SHARE", "0.15"))
# SIM_MISSES: a file to write each clearly identifiable call that was not reused with
# the right person, each wrong-person reuse and each shared line reused on its number
# alone, one JSON line each (for tuning).
MISSES = open(os.environ["SIM_MISSES"], "w") if os.environ.get("SIM_MISSES") else None
# SIM_CALLS_OUT: a file to write every counted call's confidence, sources, stated
# probability and whether customer_ref was the caller (how DEFAULT_TABLE is measured).
CALLS_OUT = open(os.environ["SIM_CALLS_OUT"], "w") if os.environ.get("SIM_CALLS_OUT") else None

ATTESTATION_SPELLINGS = {
    "A": ["A", "TN-Validation-Passed-A", "passed-A"],
    "B": ["B", "TN-Validation-Passed-B"],
    "C": ["C", "TN-Validation-Passed-C"],
    "failed": ["failed", "TN-Validation-Failed-A", "TN-Validation-Failed", "Failed"],
    "none": [None, "none", "No-TN-Validation"],
}
SHARED_KINDS = ("household_landline", "pbx")
WITHIN_CAP = ("household_landline",)
SPOOF_ATTESTED = "spoof_attested"


class Person:
    def __init__(self, n, world):
        self.ref = f"p{n:05d}"
        self.crm = f"C{n:05d}"
        self.mobile = world.new_number() if world.rng.random() < 0.8 else None
        self.landline = None
        self.pbx = False
        self.calls = 0


class World:
    def __init__(self, rng):
        self.rng = rng
        self.used_numbers = set()
        self.people = []
        self.pbx_line = self.new_number()
        self.landline_members = {}
        self.carrier_attestation = {}
        self.typed = {}  # number -> whether its platform ever sends its line type
        self.dormant = []  # people whose number was recycled: their past moves back
        # What the service has been told at ends: (ani or crm) -> people confirmed on it.
        self.confirmed_on = {}
        self.spoofs = 0
        # Numbers whose genuine calls have arrived without attestation: a spoof without
        # one is indistinguishable there from their owner.
        self.arrived_unattested = set()

    def new_number(self):
        while True:
            area = self.rng.choice(["212", "312", "415", "617", "713", "206", "303"])
            number = f"+1{area}{self.rng.randint(200, 999)}{self.rng.randint(0, 9999):04d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def populate(self, count):
        n = 0
        while n < count:
            size = self.rng.choice([1, 1, 2, 2, 3, 4])
            landline = self.new_number() if self.rng.random() < (0.3 if size == 1 else 0.7) else None
            for _ in range(min(size, count - n)):
                person = Person(n, self)
                person.landline = landline
                if not person.mobile and not landline:
                    person.mobile = self.new_number()
                if landline:
                    self.landline_members.setdefault(landline, []).append(person)
                self.people.append(person)
                n += 1
        for person in self.rng.sample(self.people, min(PBX_SEATS, len(self.people))):
            person.pbx = True
        self.next_person = n

    def new_person(self):
        person = Person(self.next_person, self)
        self.next_person += 1
        person.mobile = None
        self.people.append(person)
        return person


def attestation(world, rng, number, channel):
    """The attestation a number's genuine calls carry: the originating carrier's, the
    same on every call (a carrier without STIR/SHAKEN sends none), spelled as the
    platform spells it."""
    if number not in world.carrier_attestation:
        odds = {
            "mobile": [("A", 0.85), ("none", 0.15)],
            "landline": [("A", 0.5), ("B", 0.3), ("none", 0.2)],
            "pbx": [("B", 0.7), ("none", 0.3)],
        }[channel]
        world.carrier_attestation[number] = rng.choices([o for o, _ in odds], [w for _, w in odds])[0]
    level = world.carrier_attestation[number]
    if level != "none" and rng.random() < ABSENT_SHARE:
        level = "none"
    if level == "none":
        world.arrived_unattested.add(number)
    return level, rng.choice(ATTESTATION_SPELLINGS[level])


def plan_call(world, rng):
    """(kind, person, ani, line_type, attestation level and spelling, crm or None)."""
    roll = rng.random()
    # Numbers the service knows: a person's own mobile they were confirmed on.
    with_mobile = [p for p in world.people
                   if p.mobile and p.ref in world.confirmed_on.get(p.mobile, ())]
    if roll < 0.006 and with_mobile:
        old = rng.choice(with_mobile)
        person = world.new_person()
        person.mobile, old.mobile = old.mobile, world.new_number()
        world.dormant.append(old.ref)
        level, spelling = attestation(world, rng, person.mobile, "mobile")
        crm = person.crm if rng.random() < 0.5 else None
        return "recycled_mobile", person, person.mobile, "mobile", level, spelling, crm
    if roll < 0.006 + SPOOF_SHARE and with_mobile:
        victim = rng.choice(with_mobile)
        world.spoofs += 1
        spoofer = world.new_person()
        spoofer.ref = f"fraud{world.spoofs:04d}"
        level = rng.choices(["C", "failed", "none"], [0.4, 0.3, 0.3])[0]
        spelling = rng.choice(ATTESTATION_SPELLINGS[level])
        kind = "spoof_unattested" if level == "none" else SPOOF_ATTESTED
        if level == "none" and victim.mobile in world.arrived_unattested:
            # The owner's own calls have arrived without attestation too: nothing in
            # the call tells this one from them.
            kind = "spoof_as_usual"
        line = "mobile" if rng.random() < 0.5 else None
        return kind, spoofer, victim.mobile, line, level, spelling, None
    person = rng.choice(world.people)
    channels = []
    if person.mobile:
        channels.append(("mobile", 0.6))
    if person.landline:
        channels.append(("landline", 0.3))
    if person.pbx:
        channels.append(("pbx", 0.4))
    channels.append(("withheld", 0.05))
    channel = rng.choices([c for c, _ in channels], [w for _, w in channels])[0]
    crm = person.crm if rng.random() < 1 / 3 else None
    if channel == "withheld":
        return "withheld", person, "anonymous", None, "none", None, crm
    ani = {"mobile": person.mobile, "landline": person.landline, "pbx": world.pbx_line}[channel]
    line_type = {"mobile": "mobile", "landline": "landline", "pbx": "voip"}[channel]
    level, spelling = attestation(world, rng, ani, channel)
    if channel == "mobile":
        kind = "own_mobile"
    elif channel == "pbx":
        kind = "pbx"
    else:
        kind = "household_landline" if len(world.landline_members[ani]) > 1 else "landline"
    typed = world.typed.setdefault(ani, kind != "household_landline" or rng.random() < 2 / 3)
    sent_line_type = line_type if typed and rng.random() < LINE_TYPE_SHARE else None
    return kind, person, ani, sent_line_type, level, spelling, crm


class Api:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key = key

    def post(self, path, body, method="POST"):
        self.conn.request(method, path, json.dumps(body) if body is not None else None, {
            "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {data[:300]!r}")
        return json.loads(data)


class Tally:
    def __init__(self):
        self.kinds = {}
        # Tenths of `identity.probability`: [calls, stated sum, right].
        self.probability = [[0, 0.0, 0] for _ in range(10)]

    def row(self, kind):
        return self.kinds.setdefault(kind, {
            "calls": 0, "reuse": 0, "wrong_reuse": 0, "knowable": 0, "among": 0,
            "identifiable": 0, "identifiable_reuse": 0, "number_only": 0,
            "number_only_reuse": 0, "over_cap": 0, "shared_line": 0, "lone_recycled_wrong": 0})


DORMANT_DAYS = 120
DAY_MS = 86_400_000
# SIM_CALLS_PER_DAY: the contact center's calls per simulated day. After each day the
# stored history is moved a day back, so recency, dormancy, the 30-day windows of
# learning and calibration, and expiries see weeks pass as they would (default 25: the
# default 2,500 calls span 100 days, a person calls about every three weeks).
CALLS_PER_DAY = int(os.environ.get("SIM_CALLS_PER_DAY", "25"))
# Every stored instant the service reads back, by table.
TIMES = {
    "calls": ["started_at", "ended_at"],
    "customers": ["created_at"],
    "customer_phones": ["linked_at", "first_confirmed_at", "last_confirmed_at",
                        "last_unattested_at"],
    "customer_external_ids": ["linked_at"],
    "intents": ["first_seen", "last_seen"],
    "variables": ["expires_at", "updated_at"],
}


def move_back(db, days, ref=None):
    """Moves stored history `days` back: a customer's (`ref`) or everyone's. On
    PostgreSQL through psql."""
    tables = {"calls": TIMES["calls"], "customer_phones": TIMES["customer_phones"]} if ref else TIMES
    if db.startswith("postgres"):
        statements = []
        for table, columns in tables.items():
            sets = ", ".join(f"{c} = {c} - interval '{days} days'" for c in columns)
            where = f" WHERE customer_ref = '{ref}'" if ref else ""
            statements += ["-c", f"UPDATE {table} SET {sets}{where}"]
        subprocess.run(["psql", "-q", db, "-v", "ON_ERROR_STOP=1", *statements], check=True)
        return
    with sqlite3.connect(db, timeout=30) as conn:
        shift = days * DAY_MS
        for table, columns in tables.items():
            sets = ", ".join(f"{c} = {c} - ?" for c in columns)
            where = " WHERE customer_ref = ?" if ref else ""
            conn.execute(f"UPDATE {table} SET {sets}{where}",
                         (*[shift] * len(columns), *([ref] if ref else [])))


def age(db, ref):
    """Carriers reassign a number after it lay dormant: the old owner's history is moved
    DORMANT_DAYS back, as if they had stopped calling from it then."""
    move_back(db, DORMANT_DAYS, ref)


def simulate(api, rng, db):
    world = World(rng)
    world.populate(max((HISTORY + CALLS) // 5, PBX_SEATS))
    tally, past = Tally(), Tally()
    for n in range(HISTORY + CALLS):
        if n and CALLS_PER_DAY and n % CALLS_PER_DAY == 0:
            move_back(db, 1)
            # A day has passed: the server's cached policy (its learned weights and
            # probability table) would have been refreshed many times over.
            api.post("/v1/settings/identity", SETTINGS, method="PUT")
        kind, person, ani, line_type, level, spelling, crm = plan_call(world, rng)
        while world.dormant:
            age(db, world.dormant.pop())
        seen = lambda token: token is not None and person.ref in world.confirmed_on.get(token, ())  # noqa: E731
        own_number = kind in ("own_mobile", "recycled_mobile")
        knowable = seen(ani) or seen(crm)
        identifiable = seen(crm) or (own_number and seen(ani))
        if person.calls == 0 and kind not in ("spoof_unattested", "spoof_as_usual", SPOOF_ATTESTED):
            kind = "first_call" if kind != "recycled_mobile" else kind
        hints = {"ani": ani}
        if crm:
            hints["external_ids"] = {"crm": crm}
        telco = {}
        if line_type:
            telco["line_type"] = line_type
        if spelling:
            telco["attestation"] = spelling
        call_id = f"sim-{SEED}-{n}"
        body = {"call_id": call_id, "identity_hints": hints}
        if telco:
            body["telco"] = telco
        answer = api.post("/v1/calls/start", body)
        identity = answer["identity"]
        offered = [answer["customer_ref"]] + [c["customer_ref"] for c in identity.get("candidates", [])]
        reuse = identity["recommendation"] == "reuse"
        row = (tally if n >= HISTORY else past).row(kind)
        row["calls"] += 1
        row["reuse"] += reuse
        row["wrong_reuse"] += reuse and answer["customer_ref"] != person.ref
        row["knowable"] += knowable
        row["among"] += knowable and person.ref in offered
        row["identifiable"] += identifiable
        row["identifiable_reuse"] += identifiable and reuse and answer["customer_ref"] == person.ref
        row["number_only"] += crm is None
        row["number_only_reuse"] += crm is None and reuse
        over_cap = kind == "pbx" and crm is None and len(world.confirmed_on.get(ani, ())) > 5
        row["over_cap"] += over_cap
        row["shared_line"] += over_cap and "shared_line" in identity
        if CALLS_OUT is not None and n >= HISTORY:
            CALLS_OUT.write(json.dumps({"confidence": identity["confidence"],
                                        "sources": identity["sources"],
                                        "probability": identity.get("probability"),
                                        "right": answer["customer_ref"] == person.ref}) + "\n")
        # A recycled number's new owner who gave nothing but the number: nothing can
        # tell them from the old owner (counted, and set aside in the target).
        row["lone_recycled_wrong"] += (kind == "recycled_mobile" and crm is None and reuse
                                       and answer["customer_ref"] != person.ref)
        stated = identity.get("probability")
        if stated is not None and n >= HISTORY:
            cell = (tally.probability)[min(int(stated * 10), 9)]
            cell[0] += 1
            cell[1] += stated
            cell[2] += answer["customer_ref"] == person.ref
        shared_number_reuse = kind in SHARED_KINDS and crm is None and reuse
        missed = identifiable and not (reuse and answer["customer_ref"] == person.ref)
        wrong = reuse and answer["customer_ref"] != person.ref
        if MISSES is not None and (missed or shared_number_reuse or wrong):
            MISSES.write(json.dumps({"n": n, "kind": kind, "level": level, "crm": crm is not None,
                                     "line_type": line_type, "customer_ref": answer["customer_ref"],
                                     "true": person.ref, "identity": identity}) + "\n")
        api.post("/v1/calls/end", {"call_id": call_id, "customer_ref": person.ref})
        person.calls += 1
        for token in (ani if ani != "anonymous" else None, crm):
            if token:
                world.confirmed_on.setdefault(token, set()).add(person.ref)
    return tally


def pct(part, whole):
    return f"{100 * part / whole:6.2f} %" if whole else "     - "


def report_calibration(c):
    bins = " ".join(f"{b['from']:.1f}:{b['correct']}/{b['calls']}" for b in c["bins"] if b["calls"])
    print(f"the service's own calibration: {c['calls']} calls, {c['confirmed']} confirmed, "
          f"brier {c['brier']}, reuse precision {c['reuse']['precision']}, "
          f"recall {c['reuse']['recall']}")
    print(f"  bins (from:correct/calls): {bins}")
    moved = ", ".join(f"{a['weight']} {a['from']} -> {a['to']} ({a['correct']}/{a['confirmed']})"
                      for a in c["learning"]["adjustments"]) or "none"
    print(f"  learning {'on' if c['learning']['enabled'] else 'off'}; adjustments: {moved}")


def report(tally, seconds):
    kinds = sorted(tally.kinds)
    total = {k: sum(tally.kinds[x][k] for x in kinds) for k in tally.row("_").keys()}
    tally.kinds.pop("_")
    print(f"identity-sim: {total['calls']} calls (after {HISTORY} not counted), seed {SEED}, "
          f"store {STORE.split(':')[0]}, "
          f"settings {json.dumps(SETTINGS)}, {seconds:.1f} s")
    print(f"{'kind':20} {'calls':>6} {'reuse':>9} {'wrong reuse':>12} {'among (knowable)':>18}")
    for kind in kinds:
        r = tally.kinds[kind]
        among = f"{pct(r['among'], r['knowable'])} of {r['knowable']}"
        print(f"{kind:20} {r['calls']:6} {pct(r['reuse'], r['calls']):>9} "
              f"{pct(r['wrong_reuse'], r['calls']):>12} {among:>18}")
    within = [tally.kinds[k] for k in WITHIN_CAP if k in tally.kinds]
    shared = [tally.kinds[k] for k in SHARED_KINDS if k in tally.kinds]
    pbx = tally.kinds.get("pbx", {"over_cap": 0, "shared_line": 0})
    spoof = tally.kinds.get(SPOOF_ATTESTED, {"reuse": 0, "calls": 0})
    wrong = total["wrong_reuse"] - total["lone_recycled_wrong"]
    print(f"identity.probability against what happened (tenths with calls):")
    worst = 0.0
    for tenth, (calls, stated, right) in enumerate(tally.probability):
        if calls:
            gap = abs(stated / calls - right / calls)
            counted = calls >= 50
            worst = max(worst, gap) if counted else worst
            print(f"  {tenth / 10:.1f}-{(tenth + 1) / 10:.1f}: {calls:5} calls, stated "
                  f"{stated / calls:.3f}, right {right / calls:.3f}"
                  f"{'' if counted else ' (under 50 calls: not judged)'}")
    targets = [
        ("wrong-person reuse of all calls <= 0.1 % (lone recycled numbers aside)",
         f"{pct(wrong, total['calls']).strip()}, and {total['lone_recycled_wrong']} lone "
         f"recycled numbers", wrong <= 0.001 * total["calls"]),
        ("reuse of clearly identifiable returning calls >= 97 %",
         pct(total["identifiable_reuse"], total["identifiable"]),
         total["identifiable_reuse"] >= 0.97 * total["identifiable"]),
        ("shared lines within the cap: true caller offered >= 99 %",
         pct(sum(r["among"] for r in within), sum(r["knowable"] for r in within)),
         sum(r["among"] for r in within) >= 0.99 * sum(r["knowable"] for r in within)),
        ("every shared line, the number the only identifier: never reuse",
         f"{sum(r['number_only_reuse'] for r in shared)} of {sum(r['number_only'] for r in shared)}",
         sum(r["number_only_reuse"] for r in shared) == 0),
        ("the line over the cap (25-seat PBX, over 5 people known): answered shared_line",
         f"{pbx['shared_line']} of {pbx['over_cap']} calls",
         pbx["shared_line"] == pbx["over_cap"]),
        ("spoofs attested C or failed: never reuse", f"{spoof['reuse']} of {spoof['calls']}",
         spoof["reuse"] == 0),
        ("identity.probability within 5 points in every tenth with >= 50 calls",
         f"largest gap {worst * 100:.1f} points", worst <= 0.05),
    ]
    print("targets:")
    for name, figure, met in targets:
        print(f"  [{'met' if met else 'MISSED'}] {name}: {figure.strip()}")
    return total, targets


def main():
    require_binary()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="identity-sim-") as work:
        url = f"sqlite://{work}/sim.db" if STORE == "sqlite" else STORE
        env = dict(os.environ, STICKYCALLS_DATABASE_URL=url, RUST_LOG="warn",
                   STICKYCALLS_SETTINGS_CACHE_SECONDS="1")
        cli(env, "migrate")
        _, key = funded_account(env, "identity-sim", (HISTORY + CALLS) * 2)
        port = free_port()
        proc = serve(env, port, os.path.join(work, "server.log"))
        try:
            api = Api(port, key)
            api.post("/v1/settings/identity", SETTINGS, method="PUT")
            began = time.monotonic()
            tally = simulate(api, rng, f"{work}/sim.db" if STORE == "sqlite" else STORE)
            seconds = time.monotonic() - began
            calibration = api.post("/v1/identity/calibration?days=366", None, method="GET")
        finally:
            proc.terminate()
            proc.wait()
    total, targets = report(tally, seconds)
    report_calibration(calibration)
    if os.environ.get("SIM_JSON"):
        with open(os.environ["SIM_JSON"], "w") as out:
            json.dump({"seed": SEED, "calls": CALLS, "settings": SETTINGS, "kinds": tally.kinds,
                       "total": total, "calibration": calibration,
                       "targets": [{"target": t, "figure": f.strip(), "met": m}
                                   for t, f, m in targets]}, out, indent=2)
    if os.environ.get("SIM_STRICT") == "1" and not all(m for _, _, m in targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
