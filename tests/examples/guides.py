"""The platform guides' runnable code, run by `make examples`: the Node.js handlers
through guides.mjs, and the Python Lambdas (Amazon Connect, Amazon Lex) here, each with
its platform's sample event from docs/guides/code/events/. Each platform: a new caller
(`ignore`), the call saved through the platform's own end, then the same number again
(`reuse`, the saved note back). Standard library only."""

import importlib.util
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CODE = os.path.join(ROOT, "docs", "guides", "code")


def event(name, **values):
    with open(os.path.join(CODE, "events", f"{name}.json")) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("{{" + k + "}}", v)
    return json.loads(text)


def load(path):
    spec = importlib.util.spec_from_file_location(path.replace("/", "_").replace("-", "_"), os.path.join(CODE, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_lambdas(ani_base):
    connect, lex = load("amazon-connect/lambda.py"), load("amazon-lex/lambda.py")

    def connect_identify(call, ani):
        out = connect.lambda_handler(event("connect-start", call=call, ani=ani), None)
        return {"recommendation": out["recommendation"], "customer_ref": out["customer_ref"],
                "notes": out["last_note"], "flat": all(isinstance(v, str) for v in out.values())}

    def connect_save(call, ani, ref):
        return connect.lambda_handler(event("connect-save", call=call, ani=ani, customer_ref=ref), None)["saved"] == "true"

    def lex_identify(call, ani):
        out = lex.lambda_handler(event("lex-dialog", call=call, ani=ani), None)
        a = out["sessionState"]["sessionAttributes"]
        return {"recommendation": a["recommendation"], "customer_ref": a["customer_ref"],
                "notes": a.get("caller_notes", ""), "dialog": out["sessionState"]["dialogAction"]["type"]}

    def lex_save(call, ani, ref):
        out = lex.lambda_handler(event("lex-fulfill", call=call, ani=ani, customer_ref=ref), None)
        return out["sessionState"]["intent"]["state"] == "Fulfilled"

    results = []
    for n, (platform, identify, save) in enumerate([
            ("amazon-connect (python)", connect_identify, connect_save),
            ("amazon-lex (python)", lex_identify, lex_save)]):
        ani, tag = f"{ani_base}{n}", platform.split()[0]
        started = time.monotonic()
        try:
            first = identify(f"{tag}_1", ani)
            saved = save(f"{tag}_1", ani, first["customer_ref"])
            second = identify(f"{tag}_2", ani)
            results.append({"platform": platform, "first": first, "saved": saved, "second": second,
                            "ms": int((time.monotonic() - started) * 1000)})
        except Exception as e:  # noqa: BLE001 - reported as a failure
            results.append({"platform": platform, "error": repr(e)})
    return results


def genesys_data_actions(ani):
    """Genesys Cloud's data actions, rendered as Genesys would for these templates
    (Velocity's `${...}` and `$esc.jsonString`, the translation map's JSONPath, the
    success template), sent to the live server, their outputs read back."""
    import re
    import urllib.request

    def action(name):
        with open(os.path.join(CODE, "genesys-cloud", f"{name}.data-action.json")) as f:
            return json.load(f)["config"]

    def render(text, values):
        text = re.sub(r"\$esc\.jsonString\(\$\{([\w.]+)\}\)", lambda m: json.dumps(values[m.group(1)])[1:-1], text)
        return re.sub(r"\$\{([\w.]+)\}", lambda m: values[m.group(1)], text)

    def path(document, jsonpath):
        value = document
        for part in re.findall(r"\.(\w+)|\[(\d+)\]", jsonpath):
            key, index = part
            if key:
                value = value.get(key) if isinstance(value, dict) else None
            else:
                value = value[int(index)] if isinstance(value, list) and len(value) > int(index) else None
            if value is None:
                return None
        return value

    def run(name, values):
        config = action(name)
        # The action's own time limit (Genesys: config.timeoutSeconds, 1 to 60; unset, a
        # caller waits up to a minute), and we wait no longer than it would.
        limit = config.get("timeoutSeconds")
        if not isinstance(limit, int) or not 1 <= limit <= 10:
            raise ValueError(f"{name}: config.timeoutSeconds is {limit!r}, expected 1 to 10")
        request = config["request"]
        req = urllib.request.Request(render(request["requestUrlTemplate"], values),
                                     data=render(request["requestTemplate"], values).encode(), method="POST",
                                     headers={k: render(v, values) for k, v in request["headers"].items()})
        with urllib.request.urlopen(req, timeout=limit) as r:
            answer = json.load(r)
        response = config["response"]
        filled = {}
        for key, jsonpath in response["translationMap"].items():
            found = path(answer, jsonpath)
            filled[key] = json.dumps(found) if found is not None else response.get("translationMapDefaults", {}).get(key, "null")
        return json.loads(render(response["successTemplate"], filled))

    values = {"credentials.baseUrl": os.environ["STICKYCALLS_URL"], "credentials.apiKey": os.environ["STICKYCALLS_KEY"],
              "input.ani": ani}
    started = time.monotonic()
    try:
        first = run("identify-caller", dict(values, **{"input.conversationId": "genesys_1"}))
        saved = run("save-call", dict(values, **{"input.conversationId": "genesys_1", "input.customerRef": first["customer_ref"],
                                                 "input.intent": "billing_issue", "input.intentStatus": "open",
                                                 "input.summary": 'Test context "quoted"'}))
        second = run("identify-caller", dict(values, **{"input.conversationId": "genesys_2"}))
    except Exception as e:  # noqa: BLE001 - reported as a failure
        return {"platform": "genesys-cloud (data actions)", "error": repr(e)}
    # The data action's flat output carries the open issue, not the notes.
    first["notes"], second["notes"] = first.get("open_intent", ""), second.get("open_intent", "")
    return {"platform": "genesys-cloud (data actions)", "first": first,
            "saved": saved.get("customer_ref") == first["customer_ref"], "second": second,
            "remembered": second["notes"] == "billing_issue", "ms": int((time.monotonic() - started) * 1000)}


def check(result):
    name = result["platform"]
    if "error" in result:
        return [f"{name}: {result['error']}"]
    if "refused" in result:
        expected = [401, 401, 200, 401, 401, 401, 200]
        return [] if result["refused"] == expected else [f"{name}: statuses {result['refused']}, expected {expected}"]
    if "preflight" in result:
        ok = (result["preflight"], result["preflight_origin"], result["no_token"]) == (204, "*", 403)
        return [] if ok else [f"{name}: preflight {result['preflight']} (origin {result['preflight_origin']}), "
                              f"without a Flex token {result['no_token']}; expected 204 (*), 403"]
    first, second, failures = result["first"], result["second"], []
    if first["recommendation"] != "ignore" or first["notes"]:
        failures.append(f"{name}: a new caller answered {first}")
    if not first["customer_ref"]:
        failures.append(f"{name}: no customer_ref for the new caller: {first}")
    if result["saved"] is not True:
        failures.append(f"{name}: the end was not saved")
    remembered = result.get("remembered", "Test context" in second["notes"])
    if second["recommendation"] != "reuse" or not remembered:
        failures.append(f"{name}: the returning caller answered {second}")
    if second["customer_ref"] != first["customer_ref"]:
        failures.append(f"{name}: the returning caller is {second['customer_ref']}, not {first['customer_ref']}")
    for answer in (first, second):
        if answer.get("retry_same") is False:
            failures.append(f"{name}: a retried start answered differently: {answer}")
        if answer.get("attributes_recommendation", answer["recommendation"]) != answer["recommendation"]:
            failures.append(f"{name}: the task attributes disagree with the flat fields: {answer}")
        if answer.get("flat") is False:
            failures.append(f"{name}: the answer is not a flat map of strings: {answer}")
    return failures


def run_all(base, key, env, report):
    os.environ.update(STICKYCALLS_URL=base, STICKYCALLS_KEY=key, VAPI_ASSISTANT_ID="asst_demo")
    done = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "guides.mjs")],
                          env=dict(os.environ, ANI_BASE="+141555580"), capture_output=True, text=True,
                          timeout=180)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not results:
        return [f"guides: node exited {done.returncode}: {done.stderr[-2000:]}"]
    results += python_lambdas("+1415555802")
    results.append(genesys_data_actions("+14155558030"))
    failures = []
    for result in results:
        found = check(result)
        failures += found
        runtime = result.get("runtime", "Python " + sys.version.split()[0])
        report.append((f"guide: {result['platform']}", runtime, result.get("ms", 0) / 1000, not found))
        if found:
            print(json.dumps(result, indent=1))
    return failures
