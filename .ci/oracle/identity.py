#!/usr/bin/env python3
"""Compares the Experience Cloud identity of on-device calls between the Node.js SDK
(identity.js) and our decide tool: the prepared request's ids and experienceCloud, the
visitor state, and the ids and experienceCloud of each display notification.

    identity.py "node .ci/oracle/identity.js" "target/debug/adobe-target decide"

Supplemental data ids are random on both sides: each is replaced by its order of first
appearance, so equal ids must stay equal and different ones different. Where Node sends what
the API refuses we differ on purpose (see `visitor_id`): Node lists the visitor's customer ids
twice in its own notifications, and sends a customer id with no `authenticatedState`; Node's
side is compared without the repeats and with `unknown`. Last line: `N passed, M failed`.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

SHARED = os.environ.get("ADOBE_TARGET_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
ARTIFACT = os.path.join(SHARED, "conformance", "artifact.json")
CONF = {"client": "targettesting", "organizationId": "74F652E95F1B16FE0A495C92@AdobeOrg"}
DIGEST_COOKIE = ("-1330315163%7CMCIDTS%7C19731%7CMCMID%7C12345678901234567890123456789012345678"
                 "%7CMCAAMLH-1705434812%7C9%7CMCAAMB-1705434812%7Cj8Odv6LonN4r3an7LhD3WZrU1bUpAkFkkiY1ncBR96t2PTI"
                 "%7CMCOPTOUT-1704837212s%7CNONE%7CvVersion%7C5.5.0")
PAGE = {"context": {"channel": "web", "address": {"url": "http://local-target-test/"}},
        "execute": {"pageLoad": {}, "mboxes": [{"name": "simple-mbox", "index": 0}]}}


def call(**extra):
    request = json.loads(json.dumps(PAGE))
    request.update(extra.pop("request", {}))
    return dict({"request": request}, **extra)


CASES = {
    "cookie_with_digest": call(visitorCookie=DIGEST_COOKIE),
    "cookie_plain_pairs": call(visitorCookie="MCMID|42|MCAAMLH-99|7x|MCAAMB|blob"),
    "cookie_hint_not_a_number": call(visitorCookie="MCMID|42|MCAAMLH|x7"),
    "cookie_odd_pairs": call(visitorCookie="MCMID|1|MCMID|2|MCAAMB"),
    "cookie_T": call(visitorCookie="T"),
    "no_cookie": call(),
    "customer_ids_map": call(visitorCookie=DIGEST_COOKIE,
                             customerIds={"crm": {"id": "c-1", "authState": 1}, "loyalty": "l-7",
                                          "old": {"id": "o-2", "authState": 2}, "odd": {"id": "d-3", "authState": 5}}),
    "customer_ids_and_request_ids": call(
        visitorCookie=DIGEST_COOKIE,
        customerIds={"crm": {"id": "c-1", "authState": 0}},
        request={"id": {"customerIds": [{"id": "r-1", "integrationCode": "req", "authenticatedState": "logged_out"}]}}),
    "request_values_win": call(
        visitorCookie=DIGEST_COOKIE, consumerId="hero",
        request={"id": {"marketingCloudVisitorId": "from-request", "tntId": "t-1"},
                 "experienceCloud": {"audienceManager": {"locationHint": 3},
                                     "analytics": {"logging": "client_side", "trackingServer": "ts.example.com",
                                                   "supplementalDataId": "0000000000000001-0000000000000002"}}}),
    "empty_request_ids": call(visitorCookie=DIGEST_COOKIE,
                              request={"id": {"marketingCloudVisitorId": "", "tntId": ""}}),
    "consumer_id": call(consumerId="footer"),
}


def canonical(value, sdids):
    """`value` with each supplemental data id replaced by `sdid#<order of first appearance>`."""
    if isinstance(value, dict):
        return {k: canonical(v, sdids) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v, sdids) for v in value]
    if isinstance(value, str) and len(value) == 33 and value[16] == "-" and all(
            c in "0123456789ABCDEF" for c in value.replace("-", "")):
        sdids.setdefault(value, f"sdid#{len(sdids)}")
        return sdids[value]
    return value


def unique(items):
    out = []
    for item in items or []:
        if item not in out:
            out.append(item)
    return out


def generated(tnt_id):
    """A Target id the SDK made: 32 hex digits, maybe on a cluster (`.<cluster>_0`)."""
    head = (tnt_id or "").split(".")[0]
    return len(head) == 32 and all(c in "0123456789abcdef" for c in head)


def visitor_id(value, node):
    """The `id` of a request, comparable across SDKs: a generated Target id is a placeholder
    (random on both sides; Node's returned request leaves it out, ours has it), Node's customer
    id without `authenticatedState` is `unknown` (the API requires one; ours sends it), and the
    customer ids are compared as a set of entries: a JSON map's key order is not kept in Rust,
    so ids given as the ID service's map come in key order (a list keeps its order)."""
    value = json.loads(json.dumps(value or {}))
    if generated(value.get("tntId")):
        del value["tntId"]
    if "customerIds" in value:
        ids = value["customerIds"]
        if node:
            ids = unique(ids)
            for entry in ids:
                entry.setdefault("authenticatedState", "unknown")
        value["customerIds"] = sorted(ids, key=lambda e: json.dumps(e, sort_keys=True))
    return value or None


def identity(out, node):
    if "error" in out and out["error"]:
        return {"error": True}
    sdids = {}
    request = out.get("request") or {}
    seen = {
        "id": visitor_id(request.get("id"), node),
        "experienceCloud": request.get("experienceCloud"),
        "visitorState": out.get("visitorState"),
        "notifications": [],
    }
    for sent in out.get("notifications") or []:
        seen["notifications"].append(
            {"id": visitor_id(sent.get("id"), node), "experienceCloud": sent.get("experienceCloud")})
    return canonical(seen, sdids)


def run(args):
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": f"rc={done.returncode}: {done.stderr.strip()[:400]}"}


def main():
    node, ours = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        conf_file = os.path.join(scratch, "conf.json")
        with open(conf_file, "w") as f:
            json.dump(CONF, f)
        for name, case in CASES.items():
            call_file = os.path.join(scratch, f"{name}.json")
            with open(call_file, "w") as f:
                json.dump(case, f)
            a = identity(run(shlex.split(node) + [ARTIFACT, call_file, conf_file]), node=True)
            b = identity(run(shlex.split(ours) + ["--artifact", ARTIFACT, "--request", call_file,
                                                  "--conf", conf_file]), node=False)
            if a == b:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {name}\n  node: {json.dumps(a, sort_keys=True)}\n  ours: {json.dumps(b, sort_keys=True)}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
