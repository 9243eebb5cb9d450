"""The one seam to language models: every completion and remote embedding goes through litellm here.

Structured output is validated with pydantic (one repair round, then `LLMError`), transient errors
are retried with backoff shared by every thread of the process, answers are cached on disk in the
data dir, and tokens and cost are added to the caller's `Usage`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from reviewer.errors import LLMError
from reviewer.models import Usage
from reviewer.prompts import RenderedPrompt, without_fence_tokens
from reviewer.settings import Settings

# settings (imported above) already asks for the bundled cost map; offline mode also keeps litellm
# from fetching any other catalog or tokenizer on its own. Both must be set before the import.
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")

import litellm  # noqa: E402 - must follow the environment set above

litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stdout

T = TypeVar("T", bound=BaseModel)

# Backoff for 5xx, connection errors and 429s without Retry-After: BACKOFF_BASE * 2**n, capped,
# with full jitter. Module constants so tests can shrink them.
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 60.0
# A timed-out request already cost `llm_timeout` seconds: try it at most this many times in total.
TIMEOUT_ATTEMPTS = 2
# Threads released together by the gate start spread over this share of the hold they waited out.
GATE_SPREAD = 0.2
EMBED_BATCH = 128
REPAIR_ERROR_CHARS = 2000

JSON_INSTRUCTION = "Answer with one JSON object only, without prose or code fences, valid against this JSON Schema:\n"
REPAIR_INSTRUCTION = (
    "Your previous answer could not be used: {error}\n"
    "Reply again with the corrected JSON object only, valid against the JSON Schema given above."
)


class StructuredLLM(Protocol):
    """What the review needs from a model: `LLMClient`, or `tests.fakes.FakeLLM`."""

    model: str

    def complete_json(self, prompt: RenderedPrompt, schema: type[T], *, usage: Usage) -> T: ...


class RateGate:
    """A process-wide pause: after a 429 every thread waits until the backoff deadline.

    A batch of concurrent reviews then slows down together instead of each thread hammering the
    provider and failing on its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        """Close the gate for `seconds` from now (never shortens a longer hold)."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    @property
    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def wait(self) -> float:
        """Block until the gate is open; return the seconds waited."""
        waited = 0.0
        while (remaining := self.remaining) > 0:
            pause = remaining + random.uniform(0, GATE_SPREAD * remaining)
            time.sleep(pause)
            waited += pause
        return waited


RATE_GATE = RateGate()
_usage_lock = threading.Lock()


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in a model answer, tolerating code fences and prose around it."""
    fenced = re.search(r"```(?:json|JSON)?\s*\n?(.*?)```", text, re.DOTALL)
    candidate = (fenced.group(1) if fenced else text).strip()
    try:
        value = json.loads(candidate)
        if isinstance(value, dict):
            return value
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", candidate):
        try:
            value, _ = decoder.raw_decode(candidate, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("the answer contains no JSON object")


def parse_answer(text: str, schema: type[T]) -> T:
    """Validate a model answer against `schema`; raises ValueError or ValidationError."""
    return schema.model_validate(extract_json(text))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        ]
        text = "the JSON does not match the schema: " + "; ".join(problems)
    elif isinstance(exc, json.JSONDecodeError):
        text = f"invalid JSON: {exc}"
    else:
        text = str(exc)
    return text[:REPAIR_ERROR_CHARS]


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _is_transient(exc: Exception) -> bool:
    status = _status(exc)
    return isinstance(exc, litellm.APIConnectionError) or status == 429 or (status is not None and status >= 500)


def retry_after(exc: Exception) -> float | None:
    """Seconds the provider asked us to wait (`retry-after-ms` / `Retry-After`), capped; else None."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or getattr(exc, "litellm_response_headers", None)
    if not headers:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return min(max(float(ms) / 1000, 0.0), RETRY_AFTER_MAX)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        return min(max(seconds, 0.0), RETRY_AFTER_MAX)
    except (TypeError, ValueError, AttributeError):
        return None


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter for retry number `attempt` (1-based)."""
    return random.uniform(0, min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)))


class LLMClient:
    """Calls the configured model through litellm; built from `Settings`."""

    def __init__(self, settings: Settings, *, gate: RateGate | None = None, cache: bool = True) -> None:
        self.settings = settings
        self.model = settings.model
        self._gate = gate
        self.cache_dir: Path | None = settings.data_dir / "llm_cache" if cache else None
        self._json_mode: bool | None = None

    @property
    def gate(self) -> RateGate:
        # Looked up per call, so the process-wide gate is the one every client shares.
        return self._gate or RATE_GATE

    # -- structured completion ---------------------------------------------------------------
    def complete_json(self, prompt: RenderedPrompt, schema: type[T], *, usage: Usage) -> T:
        """Ask the model for one JSON object valid against `schema` (one repair round, then LLMError)."""
        if self.settings.offline:
            raise LLMError("no model configured (REVIEWER_MODEL is offline)")
        messages = self._messages(prompt, schema)
        key = self._cache_key(messages, schema)
        cached = self._cache_get(key, schema)
        if cached is not None:
            return cached

        answer = self._chat(messages, usage, what=prompt.name)
        try:
            result = parse_answer(answer, schema)
        except (ValueError, ValidationError) as first:
            repair = [
                *messages,
                {"role": "assistant", "content": answer},
                {"role": "user", "content": REPAIR_INSTRUCTION.format(error=_describe(first))},
            ]
            answer = self._chat(repair, usage, what=f"{prompt.name} (repair)")
            try:
                result = parse_answer(answer, schema)
            except (ValueError, ValidationError) as second:
                raise LLMError(
                    f"{self.model} gave no valid {schema.__name__} for prompt {prompt.name!r} "
                    f"after one repair: {_describe(second)}"
                ) from second
        self._cache_put(key, result)
        return result

    def _messages(self, prompt: RenderedPrompt, schema: type[BaseModel]) -> list[dict[str, str]]:
        schema_json = json.dumps(schema.model_json_schema(), separators=(",", ":"), ensure_ascii=False)
        system = "\n\n".join(part for part in (prompt.system, JSON_INSTRUCTION + schema_json) if part)
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt.user}]

    def _supports_json_mode(self) -> bool:
        if self._json_mode is None:
            try:
                model, provider, _, _ = litellm.get_llm_provider(self.model, api_base=self.settings.api_base)
                params = litellm.get_supported_openai_params(model=model, custom_llm_provider=provider)
                self._json_mode = "response_format" in (params or [])
            except Exception:  # an unknown provider: plain text plus JSON extraction still works
                self._json_mode = False
        return self._json_mode

    def _chat(self, messages: list[dict[str, str]], usage: Usage, *, what: str) -> str:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "api_base": self.settings.api_base,
            "api_key": self.settings.api_key_value,
            "timeout": self.settings.llm_timeout,
            "temperature": 0,
            # Ours are the only retries: litellm's and the provider SDK's are switched off.
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
        }
        if self._supports_json_mode():
            kwargs["response_format"] = {"type": "json_object"}
        response = self._with_retries(partial(litellm.completion, **kwargs), what=what)
        self._record_usage(response, usage)
        content = response.choices[0].message.content
        return content if isinstance(content, str) else ""

    @staticmethod
    def _record_usage(response: Any, usage: Usage) -> None:
        tokens = getattr(response, "usage", None)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # the model has no price in litellm's bundled map
            cost = 0.0
        with _usage_lock:
            usage.llm_calls += 1
            usage.prompt_tokens += int(getattr(tokens, "prompt_tokens", 0) or 0)
            usage.completion_tokens += int(getattr(tokens, "completion_tokens", 0) or 0)
            usage.cost_usd += cost

    # -- embeddings -----------------------------------------------------------------------------
    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """Embed `texts` with a provider's embedding `model` (a litellm model string), in batches."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            response = self._with_retries(
                partial(
                    litellm.embedding,
                    model=model,
                    input=batch,
                    api_base=self.settings.api_base,
                    api_key=self.settings.api_key_value,
                    timeout=self.settings.llm_timeout,
                    max_retries=0,
                ),
                what=f"embedding with {model}",
            )
            items = sorted(response.data, key=lambda item: _field(item, "index"))
            if len(items) != len(batch):
                raise LLMError(f"{model} returned {len(items)} embeddings for {len(batch)} texts")
            vectors.extend([float(x) for x in _field(item, "embedding")] for item in items)
        return vectors

    # -- retries ----------------------------------------------------------------------------------
    def _with_retries(self, call: Callable[[], Any], *, what: str) -> Any:
        """Run `call`, retrying 429 / 5xx / connection errors up to `llm_retries` times.

        A 429 closes the shared gate, so every thread of the process pauses; other transient
        errors back off in this thread only. Timeouts are tried at most TIMEOUT_ATTEMPTS times.
        """
        attempts = self.settings.llm_retries + 1
        timeouts = 0
        for attempt in range(1, attempts + 1):
            self.gate.wait()
            try:
                return call()
            except litellm.Timeout as exc:
                timeouts += 1
                if timeouts >= TIMEOUT_ATTEMPTS or attempt == attempts:
                    raise LLMError(
                        f"{what}: {self.model} gave no answer within {self.settings.llm_timeout:g}s "
                        f"({timeouts} attempt(s))"
                    ) from exc
                time.sleep(_backoff(attempt))
            except Exception as exc:  # litellm maps provider errors to many classes; sort by status
                transient = _is_transient(exc)
                delay = retry_after(exc)
                delay = _backoff(attempt) if delay is None else delay
                if _status(exc) == 429:
                    # Even when this call gives up, the others must still slow down.
                    self.gate.hold(delay)
                if not transient or attempt == attempts:
                    tried = f" after {attempt} attempt(s)" if attempt > 1 else ""
                    raise LLMError(f"{what}: {self.model} failed{tried}: {type(exc).__name__}: {exc}") from exc
                if _status(exc) != 429:
                    time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- disk cache -------------------------------------------------------------------------------
    def _cache_key(self, messages: list[dict[str, str]], schema: type[BaseModel]) -> str:
        # The schema's JSON is inside the system message, so a changed schema is a new key too.
        # Fence tokens are random per render, so they are left out of the key.
        stable = [{**m, "content": without_fence_tokens(m["content"])} for m in messages]
        payload = json.dumps(
            {"model": self.model, "messages": stable, "schema": schema.__name__},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir else None

    def _cache_get(self, key: str, schema: type[T]) -> T | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return schema.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # unreadable or stale: ask the model again and overwrite
            return None

    def _cache_put(self, key: str, result: BaseModel) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(result.model_dump_json())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)
