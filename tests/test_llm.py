"""The LLM layer through real litellm against the fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from pydantic import BaseModel, Field

from reviewer import llm
from reviewer.errors import LLMError
from reviewer.llm import LLMClient, RateGate, extract_json, retry_after
from reviewer.models import Usage
from reviewer.prompts import fence, render_prompt
from tests import fakes
from tests.fakes import FakeLLM, FakeOpenAIServer, Reply, fake_vector

# The fixtures live in tests/fakes.py; bound here too so this file runs whatever conftest registers.
block_real_providers = fakes.block_real_providers
fake_openai_server = fakes.fake_openai_server
llm_settings = fakes.llm_settings

pytestmark = pytest.mark.usefixtures("block_real_providers")


class Echo(BaseModel):
    topic: str = Field(description="The topic the note is about.")
    summary: str = Field(description="One sentence about the note.")


GOOD = {"topic": "pricing", "summary": "The customer finds it too expensive."}


def prompt(note: str = "Too expensive next to X.") -> llm.RenderedPrompt:
    return render_prompt("example_echo", topic="pricing", note=fence(note, "note"))


def test_structured_output_is_parsed_and_request_is_well_formed(llm_settings, fake_openai_server):
    fake_openai_server.push(GOOD)
    usage = Usage()
    result = LLMClient(llm_settings).complete_json(prompt(), Echo, usage=usage)

    assert result == Echo(**GOOD)
    (request,) = fake_openai_server.requests
    assert fake_openai_server.paths == ["/v1/chat/completions"]
    assert request["model"] == "fake-model"
    assert request["temperature"] == 0
    assert request["response_format"] == {"type": "json_object"}
    system, user = request["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert '"summary"' in system["content"]  # the JSON Schema travels with the prompt
    assert "Too expensive next to X." in user["content"]


def test_usage_counts_calls_and_tokens(llm_settings, fake_openai_server):
    fake_openai_server.push(GOOD)
    usage = Usage()
    LLMClient(llm_settings).complete_json(prompt(), Echo, usage=usage)

    request = fake_openai_server.requests[0]
    words_in = sum(len(m["content"].split()) for m in request["messages"])
    assert usage.llm_calls == 1
    assert usage.prompt_tokens == words_in  # what the fake server reported
    assert usage.completion_tokens == len(json.dumps(GOOD).split())
    assert usage.cost_usd == 0.0  # the fake model has no price


@pytest.mark.parametrize(
    "answer",
    [
        "```json\n" + json.dumps(GOOD) + "\n```",
        "Sure! Here it is: " + json.dumps(GOOD) + " Hope that helps.",
    ],
)
def test_fenced_or_chatty_json_is_accepted(llm_settings, fake_openai_server, answer):
    fake_openai_server.push(answer)
    assert LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage()) == Echo(**GOOD)
    assert len(fake_openai_server.requests) == 1


def test_malformed_json_is_repaired_in_a_second_round(llm_settings, fake_openai_server):
    fake_openai_server.push('{"topic": "pricing", "summary": ', GOOD)
    usage = Usage()
    result = LLMClient(llm_settings).complete_json(prompt(), Echo, usage=usage)

    assert result == Echo(**GOOD)
    assert usage.llm_calls == 2
    repair = fake_openai_server.requests[1]["messages"]
    assert repair[:2] == fake_openai_server.requests[0]["messages"]
    assert repair[2] == {"role": "assistant", "content": '{"topic": "pricing", "summary": '}
    assert "corrected JSON" in repair[3]["content"]


def test_schema_error_is_sent_back_for_repair(llm_settings, fake_openai_server):
    fake_openai_server.push({"topic": "pricing"}, GOOD)
    LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage())
    assert "summary" in fake_openai_server.requests[1]["messages"][3]["content"]


def test_malformed_twice_raises_llm_error(llm_settings, fake_openai_server):
    fake_openai_server.push("not json", {"wrong": True})
    with pytest.raises(LLMError, match="after one repair"):
        LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage())
    assert len(fake_openai_server.requests) == 2


def test_429_then_success_honours_retry_after(llm_settings, fake_openai_server):
    fake_openai_server.push(Reply(status=429, retry_after=0.3), GOOD)
    usage = Usage()
    result = LLMClient(llm_settings).complete_json(prompt(), Echo, usage=usage)

    assert result == Echo(**GOOD)
    assert len(fake_openai_server.requests) == 2
    first, second = fake_openai_server.times
    assert second - first >= 0.3
    assert usage.llm_calls == 1  # only answered calls count


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_then_success(llm_settings, fake_openai_server, status):
    fake_openai_server.push(Reply(status=status), GOOD)
    assert LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage()) == Echo(**GOOD)
    assert len(fake_openai_server.requests) == 2


def test_persistent_5xx_gives_up_after_the_configured_retries(llm_settings, fake_openai_server):
    fake_openai_server.default = Reply(status=500)
    with pytest.raises(LLMError, match="after 3 attempt"):
        LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage())
    assert len(fake_openai_server.requests) == llm_settings.llm_retries + 1


def test_client_errors_are_not_retried(llm_settings, fake_openai_server):
    fake_openai_server.push(Reply(status=401))
    with pytest.raises(LLMError, match="AuthenticationError"):
        LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage())
    assert len(fake_openai_server.requests) == 1


def test_timeout_raises_llm_error_quickly(llm_settings, fake_openai_server):
    settings = llm_settings.model_copy(update={"llm_timeout": 0.3, "llm_retries": 5})
    fake_openai_server.default = Reply(content=GOOD, delay=10)
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within 0.3s"):
        LLMClient(settings).complete_json(prompt(), Echo, usage=Usage())
    assert time.monotonic() - started < 2.0
    assert len(fake_openai_server.requests) == llm.TIMEOUT_ATTEMPTS


def test_unreachable_server_raises_llm_error(llm_settings):
    with FakeOpenAIServer() as gone:
        base = gone.base_url
    settings = llm_settings.model_copy(update={"api_base": base, "llm_retries": 1})
    with pytest.raises(LLMError):
        LLMClient(settings).complete_json(prompt(), Echo, usage=Usage())


def test_cache_hit_makes_no_second_request(llm_settings, fake_openai_server):
    fake_openai_server.push(GOOD)
    first_usage, second_usage = Usage(), Usage()
    first = LLMClient(llm_settings).complete_json(prompt(), Echo, usage=first_usage)
    second = LLMClient(llm_settings).complete_json(prompt(), Echo, usage=second_usage)

    assert first == second
    assert len(fake_openai_server.requests) == 1
    assert second_usage == Usage()
    files = list((llm_settings.data_dir / "llm_cache").rglob("*.json"))
    assert len(files) == 1 and not files[0].name.startswith(".tmp")


def test_cache_key_depends_on_prompt_and_model(llm_settings, fake_openai_server):
    fake_openai_server.default = Reply(content=GOOD)
    LLMClient(llm_settings).complete_json(prompt("one"), Echo, usage=Usage())
    LLMClient(llm_settings).complete_json(prompt("two"), Echo, usage=Usage())
    other_model = llm_settings.model_copy(update={"model": "openai/other-model"})
    LLMClient(other_model).complete_json(prompt("one"), Echo, usage=Usage())
    assert len(fake_openai_server.requests) == 3


def test_failed_answers_are_not_cached(llm_settings, fake_openai_server):
    fake_openai_server.push("nope", "still nope", GOOD)
    with pytest.raises(LLMError):
        LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage())
    assert LLMClient(llm_settings).complete_json(prompt(), Echo, usage=Usage()) == Echo(**GOOD)
    assert len(fake_openai_server.requests) == 3


def test_offline_settings_refuse_to_call(llm_settings, fake_openai_server):
    offline = llm_settings.model_copy(update={"model": "offline"})
    with pytest.raises(LLMError, match="no model configured"):
        LLMClient(offline).complete_json(prompt(), Echo, usage=Usage())
    assert fake_openai_server.requests == []


def test_a_429_makes_other_threads_wait(llm_settings, fake_openai_server):
    hold = 0.5
    fake_openai_server.push(Reply(status=429, retry_after=hold))
    fake_openai_server.default = Reply(content=GOOD)
    results: list[object] = []

    def review(note: str) -> None:
        results.append(LLMClient(llm_settings).complete_json(prompt(note), Echo, usage=Usage()))

    first = threading.Thread(target=review, args=("first",))
    first.start()
    while not fake_openai_server.times:  # wait for the 429 to be served
        time.sleep(0.005)
    time.sleep(0.05)
    others = [threading.Thread(target=review, args=(f"other {i}",)) for i in range(3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=10)

    assert len(results) == 4
    rate_limited_at = fake_openai_server.times[0]
    assert len(fake_openai_server.requests) == 5
    # No thread sent anything while the gate was closed.
    assert all(t - rate_limited_at >= hold for t in fake_openai_server.times[1:])


def test_gate_holds_take_the_longest_deadline():
    gate = RateGate()
    gate.hold(0.2)
    gate.hold(0.05)
    assert 0.1 < gate.remaining <= 0.2
    assert gate.wait() >= 0.15
    assert gate.remaining == 0.0


def test_embeddings_in_batches(llm_settings, fake_openai_server, monkeypatch):
    monkeypatch.setattr(llm, "EMBED_BATCH", 2)
    texts = ["alpha", "beta", "gamma"]
    vectors = LLMClient(llm_settings).embed(texts, "openai/fake-embedding")

    assert len(vectors) == 3
    for vector, text in zip(vectors, texts, strict=True):
        assert vector == pytest.approx(fake_vector(text))
    assert [r["input"] for r in fake_openai_server.embedding_requests] == [["alpha", "beta"], ["gamma"]]
    assert fake_openai_server.embedding_requests[0]["model"] == "fake-embedding"


def test_embeddings_retry_on_429(llm_settings, fake_openai_server):
    fake_openai_server.push_embedding(Reply(status=429, retry_after=0))
    assert len(LLMClient(llm_settings).embed(["a"], "openai/fake-embedding")) == 1
    assert len(fake_openai_server.embedding_requests) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('noise {"a": {"b": [1, 2]}} trailing {"c": 3}', {"a": {"b": [1, 2]}}),
        ('[1, 2] then {"a": 1}', {"a": 1}),
        ('{broken then {"a": 1}', {"a": 1}),
    ],
)
def test_extract_json(text, expected):
    assert extract_json(text) == expected


def test_extract_json_without_an_object():
    with pytest.raises(ValueError, match="no JSON object"):
        extract_json("I cannot help with that.")


class _Headers(dict):
    pass


class _Error(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        self.response = type("Response", (), {"headers": _Headers(headers)})()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "100000"}, llm.RETRY_AFTER_MAX),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers, expected):
    assert retry_after(_Error(headers)) == expected


def test_fake_llm_stands_in_for_the_client():
    fake = FakeLLM([GOOD, LLMError("down")])
    usage = Usage()
    assert fake.complete_json(prompt(), Echo, usage=usage) == Echo(**GOOD)
    with pytest.raises(LLMError, match="down"):
        fake.complete_json(prompt(), Echo, usage=usage)
    assert [schema for _, schema in fake.calls] == [Echo, Echo]
    assert usage.llm_calls == 1


def test_guard_refuses_non_loopback_connections(block_real_providers, llm_settings):
    with pytest.raises(fakes.BlockedNetworkError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    # Through litellm the refusal becomes an LLMError, but the guard still saw it.
    real = llm_settings.model_copy(update={"api_base": "http://192.0.2.1/v1", "llm_retries": 0})
    with pytest.raises(LLMError):
        LLMClient(real).complete_json(prompt(), Echo, usage=Usage())
    assert ("192.0.2.1", 80) in block_real_providers
    block_real_providers.clear()  # expected here; any other test with entries fails at teardown


def test_a_429_on_the_last_attempt_still_closes_the_gate(llm_settings, fake_openai_server):
    settings = llm_settings.model_copy(update={"llm_retries": 0})
    fake_openai_server.push(Reply(status=429, retry_after=0.3))
    with pytest.raises(LLMError, match="RateLimitError"):
        LLMClient(settings).complete_json(prompt(), Echo, usage=Usage())
    assert llm.RATE_GATE.remaining > 0.1
