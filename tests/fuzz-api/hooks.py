"""Schemathesis hooks: how to draw the two string formats the OpenAPI document names
but JSON Schema cannot spell (and `webhook-url`). `phone` is a number as a call's ANI may carry it (E.164 or
national, read in the tenant's region, US by default); `ani` is the same or a withheld
marker (blank, `anonymous`...). Loaded by run.sh through SCHEMATHESIS_HOOKS."""

import schemathesis
from hypothesis import strategies as st

digits = lambda n: st.text("0123456789", min_size=n, max_size=n)

# North American numbers: NXX-NXX-XXXX (N is 2-9), in the forms platforms send.
nanp = st.tuples(st.sampled_from("23456789"), digits(2), st.sampled_from("23456789"), digits(2), digits(4))
e164_us = nanp.map(lambda p: f"+1{p[0]}{p[1]}{p[2]}{p[3]}{p[4]}")
national_us = nanp.map(lambda p: f"({p[0]}{p[1]}) {p[2]}{p[3]}-{p[4]}")
bare_us = nanp.map(lambda p: f"{p[0]}{p[1]}{p[2]}{p[3]}{p[4]}")
# Elsewhere: well-formed numbers of a few countries.
international = st.sampled_from(
    ["+447911123456", "+442079460000", "+33612345678", "+4915123456789", "+61412345678",
     "+819012345678", "+5511912345678", "+919812345678"]
)
phone = st.one_of(e164_us, national_us, bare_us, international)
withheld = st.sampled_from(["", "  ", "anonymous", "Anonymous", "restricted", "private",
                            "unavailable", "unknown", "blocked", "withheld", "+266696687"])

schemathesis.openapi.format("phone", phone)
schemathesis.openapi.format("ani", st.one_of(phone, withheld))
# Webhook endpoints: URLs the server accepts (run.sh allows private targets: nothing is
# resolved, and deliveries to these fail fast).
schemathesis.openapi.format("webhook-url", st.sampled_from([
    "http://127.0.0.1:9/hooks", "https://127.0.0.1:9/a?b=c", "http://[::1]:9/", "http://10.0.0.9/x",
]))


# The one rule JSON Schema cannot state: a variable value that looks like a payment card
# number (13 to 19 digits, written with spaces or dashes or not, starting 2-6, passing
# Luhn) is refused with 400 `sensitive_data_rejected`, as the document says in words.
# Generated bodies that carry one anywhere are dropped (the server's own tests cover
# the refusal). Numbers are checked in every way they may be written as text.
def _luhn(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _has_card(text):
    i = 0
    while i < len(text):
        if not text[i].isdigit() or not text[i].isascii():
            i += 1
            continue
        j, digits = i, ""
        while j < len(text):
            if text[j].isascii() and text[j].isdigit():
                digits += text[j]
                j += 1
            elif text[j] in " -" and j + 1 < len(text) and text[j + 1].isascii() and text[j + 1].isdigit():
                j += 1
            else:
                break
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits):
            return True
        i += 1
    return False


def _texts(value):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield repr(value)
        yield format(value, "f") if isinstance(value, float) else str(value)
        yield "".join(c for c in repr(value) if c.isdigit())
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


@schemathesis.hook
def filter_body(context, body):
    return not any(_has_card(t) for t in _texts(body))
