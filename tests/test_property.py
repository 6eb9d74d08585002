"""Random input at the submit endpoint of a real gunicorn: never a 5xx, never a lost tip."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipsite.core import envelope, keys, payload
from tipsite.core.sanitise import clean_text
from tipsite.core.vocabulary import INDICATORS, RELATION_IDS, SETTING_IDS

from .support.servers import LiveServer
from .support.tips import envelopes_in
from .support.visitor import Visitor, csrf_token_in

# A real gunicorn, and 60 examples each.
pytestmark = [pytest.mark.live, pytest.mark.slow]

FIELDS = ["setting", "location", "description", "indicators", "when", "people", "vehicles",
          "relation", "contact", "website", "csrf_token", "other"]
SETTINGS = ["massage_clinic", "flat", "summer_house", "building_site", "palace", ""]
text = st.text(max_size=600)
field_values = st.fixed_dictionaries(
    {"setting": st.sampled_from(SETTINGS), "location": text, "description": text},
    optional={"when": text, "people": text, "vehicles": text, "contact": text,
              "relation": st.sampled_from(["neighbour", "landlord", "spy", ""]),
              "indicators": st.lists(st.sampled_from(["A1", "B2", "C3", "D6", "Z9"]),
                                     max_size=5)},
)
CHECKED = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


def opened(path: Path, pair: keys.KeyPair) -> dict[str, object]:
    return payload.read_document(envelope.open_envelope(path.read_bytes(), [pair]))


# Tips that are valid by construction (known ids, printable text within the limits):
# each of these must be thanked and stored, so a site refusing everything cannot pass.
words = st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), min_size=1,
                max_size=200).filter(str.strip)
valid_values = st.fixed_dictionaries(
    {"setting": st.sampled_from(sorted(SETTING_IDS)), "location": words, "description": words},
    optional={"when": words, "people": words, "vehicles": words, "contact": words,
              "relation": st.sampled_from(sorted(RELATION_IDS)),
              "indicators": st.lists(st.sampled_from(sorted(INDICATORS)), max_size=5)},
)
examples = st.one_of(st.tuples(st.just(False), field_values),
                     st.tuples(st.just(True), valid_values))


def send_and_check(server: LiveServer, pair: keys.KeyPair, values: dict[str, object]) -> bool:
    """Post ``values`` as a tip; check what the site did with it; True if it was stored."""
    inbox = Path(server.env["TIPSITE_INBOX"])
    before = set(envelopes_in(inbox))
    visitor = Visitor(server.url)
    pairs = [("csrf_token", csrf_token_in(visitor.get("/da/").body))]
    for name, value in values.items():
        pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    reply = visitor.post_form("/da/tip", pairs)  # type: ignore[arg-type]
    assert reply.status < 500, reply.body[:500]
    arrived = sorted(set(envelopes_in(inbox)) - before)
    if reply.status != 303:
        assert arrived == []
        return False
    [path] = arrived
    fields = opened(path, pair)["fields"]
    assert isinstance(fields, dict)
    for name in ("location", "description", "when", "people", "vehicles", "contact"):
        sent = str(values.get(name, ""))
        assert fields[name] == clean_text(sent.replace("\r\n", "\n").replace("\r", "\n"))
    assert fields["setting"] == values["setting"]
    assert fields["indicators"] == sorted(set(values.get("indicators", [])))  # type: ignore[arg-type]
    return True


def test_random_fields_never_fail_and_every_thanked_tip_is_stored_once(
    shared_server: LiveServer, keypair: keys.KeyPair
) -> None:
    stored: list[bool] = []

    @CHECKED
    @given(example=examples)
    def send(example: tuple[bool, dict[str, object]]) -> None:
        valid, values = example
        kept = send_and_check(shared_server, keypair, values)
        assert kept or not valid, "a valid tip was refused"
        stored.append(kept)

    send()
    # Half the examples are valid by construction (one_of picks either side about
    # evenly): a site that stores nothing, or a strategy that makes nothing valid, fails.
    assert sum(stored) >= len(stored) // 4, f"{sum(stored)} of {len(stored)} stored"


@CHECKED
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.tuples(st.sampled_from(FIELDS), st.text(max_size=200)), max_size=30)
        .map(lambda pairs: urllib.parse.urlencode(pairs).encode()),
    ),
    content_type=st.sampled_from([
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "multipart/form-data", "text/plain", "application/json", "",
    ]),
)
def test_random_bodies_never_cause_a_server_error(
    shared_server: LiveServer, body: bytes, content_type: str
) -> None:
    inbox = Path(shared_server.env["TIPSITE_INBOX"])
    before = set(envelopes_in(inbox))
    visitor = Visitor(shared_server.url)
    visitor.get("/da/")
    reply = visitor.request("/da/tip", body, {"Content-Type": content_type}, "POST")
    assert 400 <= reply.status < 500, reply.body[:500]  # no token in a random body: refused
    assert set(envelopes_in(inbox)) == before
