"""Test doubles for the LLM seam: a fake OpenAI-compatible HTTP server, an in-process fake LLM,
and the pytest fixtures that wire them (registered in conftest.py)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel

from reviewer.errors import LLMError
from reviewer.models import Usage
from reviewer.prompts import RenderedPrompt
from reviewer.settings import Settings

CHAT_PATHS = {"/v1/chat/completions", "/chat/completions"}
EMBEDDING_PATHS = {"/v1/embeddings", "/embeddings"}
EMBEDDING_DIM = 8


@dataclass
class Reply:
    """One scripted answer of the fake server.

    `content` is the assistant message (a dict or list is sent as JSON text), or a callable taking
    the request body and returning that content. A `status` other than 200 sends an OpenAI-style
    error body instead; `retry_after` adds a Retry-After header; `delay` sleeps before answering.
    """

    content: Any = "{}"
    status: int = 200
    delay: float = 0.0
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _as_reply(item: Any) -> Reply:
    return item if isinstance(item, Reply) else Reply(content=item)


def _count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: whitespace-separated words."""
    return len(text.split())


def fake_vector(text: str) -> list[float]:
    """A deterministic unit vector for `text`, as the fake embeddings endpoint returns it."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [b - 127.5 for b in digest[:EMBEDDING_DIM]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


class FakeOpenAIServer:
    """An OpenAI-compatible chat and embeddings server on 127.0.0.1 that records every request.

    Script it with `push(...)` (chat) and `push_embedding(...)`; when a queue is empty, `default`
    (or `embedding_default`) answers. Use as a context manager; `base_url` ends in `/v1`.
    """

    def __init__(self, default: Any = "{}", *, embedding_default: Reply | None = None) -> None:
        self.default: Reply = _as_reply(default)
        self.embedding_default: Reply = embedding_default or Reply()
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.times: list[float] = []  # time.monotonic() at arrival, one per request
        # Answers chat requests the queue does not: called with (request number, body), returns a Reply.
        self.responder: Callable[[int, dict[str, Any]], Reply] | None = None
        self._chat_queue: deque[Reply] = deque()
        self._embedding_queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------
    def push(self, *items: Any) -> FakeOpenAIServer:
        """Queue chat answers: content (str, dict, callable) or `Reply`; used first in, first out."""
        with self._lock:
            self._chat_queue.extend(_as_reply(item) for item in items)
        return self

    def push_embedding(self, *replies: Reply) -> FakeOpenAIServer:
        """Queue embedding answers (status, delay); vectors always come from `fake_vector`."""
        with self._lock:
            self._embedding_queue.extend(replies)
        return self

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [body for path, body in zip(self.paths, self.requests, strict=True) if path in CHAT_PATHS]

    @property
    def embedding_requests(self) -> list[dict[str, Any]]:
        return [body for path, body in zip(self.paths, self.requests, strict=True) if path in EMBEDDING_PATHS]

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # Handlers may still sleep on a scripted delay when a test ends; they must not block exit.
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) -------------------------------------
    def _record(self, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.paths.append(path)
            self.times.append(time.monotonic())
            self.requests.append(body)
            if path in CHAT_PATHS:
                if self._chat_queue:
                    return self._chat_queue.popleft()
                if self.responder is not None:
                    return self.responder(len(self.requests) - 1, body)
                return self.default
            return self._embedding_queue.popleft() if self._embedding_queue else self.embedding_default

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _error_body(status: int) -> dict[str, Any]:
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return {"error": {"message": f"fake error {status}", "type": kind, "param": None, "code": kind}}


def _chat_body(request: dict[str, Any], content: Any) -> dict[str, Any]:
    text = content if isinstance(content, str) else json.dumps(content)
    prompt_text = " ".join(str(m.get("content", "")) for m in request.get("messages", []))
    prompt_tokens, completion_tokens = _count_tokens(prompt_text), _count_tokens(text)
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _embedding_body(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request.get("input", [])
    if isinstance(inputs, str):
        inputs = [inputs]
    tokens = sum(_count_tokens(str(text)) for text in inputs)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": fake_vector(str(text))} for i, text in enumerate(inputs)
        ],
        "model": request.get("model", "fake-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path not in CHAT_PATHS | EMBEDDING_PATHS:
            self._send(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}})
            return
        reply = self.fake._record(path, body)
        self.fake._sleep(reply.delay)
        if self.fake._stopping.is_set():
            return
        headers = dict(reply.headers)
        if reply.retry_after is not None:
            headers["Retry-After"] = f"{reply.retry_after:g}"
        if reply.status != 200:
            self._send(reply.status, _error_body(reply.status), headers)
        elif path in CHAT_PATHS:
            content = reply.content(body) if callable(reply.content) else reply.content
            self._send(200, _chat_body(body, content), headers)
        else:
            self._send(200, _embedding_body(body), headers)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test): nothing left to answer.
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        """Keep test output quiet."""


class FakeLLM:
    """An in-process stand-in for `LLMClient`: a queue of answers and a history of calls.

    Each queued item is a dict (validated against the schema), a pydantic model, an exception
    (raised, e.g. `LLMError` to exercise the offline fallback), or a callable
    `(prompt, schema) -> dict | BaseModel`. With an empty queue, `default` answers, or, when it is
    None, the call raises `LLMError`.
    """

    def __init__(self, responses: list[Any] | None = None, *, default: Any = None, model: str = "fake/llm"):
        self.model = model
        self.responses: deque[Any] = deque(responses or [])
        self.default = default
        self.calls: list[tuple[RenderedPrompt, type[BaseModel]]] = []
        self._lock = threading.Lock()

    def push(self, *responses: Any) -> FakeLLM:
        with self._lock:
            self.responses.extend(responses)
        return self

    def complete_json(self, prompt: RenderedPrompt, schema: type[BaseModel], *, usage: Usage) -> BaseModel:
        with self._lock:
            self.calls.append((prompt, schema))
            item = self.responses.popleft() if self.responses else self.default
        if item is None:
            raise LLMError("FakeLLM has no scripted response")
        if isinstance(item, BaseException):
            raise item
        if callable(item) and not isinstance(item, type):
            item = item(prompt, schema)
        result = (
            item
            if isinstance(item, schema)
            else schema.model_validate(item.model_dump() if isinstance(item, BaseModel) else item)
        )
        with self._lock:
            usage.llm_calls += 1
            usage.prompt_tokens += _count_tokens(prompt.system) + _count_tokens(prompt.user)
            usage.completion_tokens += _count_tokens(result.model_dump_json())
        return result


# -- pytest fixtures (registered in tests/conftest.py) -------------------------------------------

_LOOPBACK_NAMES = {"localhost"}
_PROVIDER_KEYS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "COHERE_API_KEY",
    "GROQ_API_KEY",
    "TOGETHERAI_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "HUGGINGFACE_API_KEY",
    "HF_TOKEN",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
)


class BlockedNetworkError(ConnectionRefusedError):
    """Raised by the guard when code under test opens a non-loopback connection."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and other non-IP families stay on this machine
    host = str(address[0]).split("%", 1)[0]
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def block_real_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail the test if anything connects beyond 127.0.0.1, and hide real provider keys.

    Refused addresses are collected (the fixture's value) and reported at teardown, so a test
    fails even when the code under test swallows the connection error and falls back offline.
    """
    blocked: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(real: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any) -> Any:
            if not _is_loopback(address):
                blocked.append(address)
                raise BlockedNetworkError(f"tests must not reach {address!r}: use FakeOpenAIServer")
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    for key in _PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)
    yield blocked
    if blocked:
        pytest.fail(f"a test tried to reach a real provider: {blocked!r}")


@pytest.fixture
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    """A started `FakeOpenAIServer`, stopped after the test."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def llm_settings(tmp_path: Any, fake_openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings that point litellm at the fake server, with short timeouts and tiny backoff."""
    from reviewer import llm

    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(llm, "BACKOFF_MAX", 0.05)
    monkeypatch.setattr(llm, "RATE_GATE", llm.RateGate())
    return Settings(
        model="openai/fake-model",
        api_base=fake_openai_server.base_url,
        api_key="sk-test",
        data_dir=tmp_path,
        llm_timeout=2.0,
        llm_retries=2,
    )


@pytest.fixture
def fake_llm() -> FakeLLM:
    """An empty `FakeLLM`; push answers before use."""
    return FakeLLM()
