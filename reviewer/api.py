"""`reviewer serve`: the review as an HTTP service, the edge where errors become JSON and status codes.

One review context per process, built at start-up and kept warm: themes, rules, the embedder and
the store stay loaded between requests; an ingest by another process (a new corpus version in the
manifest) makes the next request rebuild it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from reviewer.errors import ConfigError, InputError, LLMError, ReviewerError, StoreError
from reviewer.feedback.models import Flag
from reviewer.graph.context import ReviewContext
from reviewer.models import Review, Theme
from reviewer.settings import Settings

log = logging.getLogger("reviewer.api")

_MODELS_KEPT = 8  # review contexts kept per process for `model` overrides besides the configured one
_THEME_EXCLUDE = {"note_ids", "answer_keywords"}  # internal to mining, and long at 100,000 calls


class ErrorBody(BaseModel):
    """Every error the service answers with: a kind, and the same message the command line prints."""

    error: Literal[
        "unauthorized",
        "not_found",
        "method_not_allowed",
        "too_large",
        "unsupported_media_type",
        "invalid_input",
        "store_unavailable",
        "model_failed",
        "internal",
    ] = Field(description="What went wrong, for programs.")
    message: str = Field(description="What went wrong, for people: the file and the reason, as the CLI says it.")
    detail: list[dict[str, Any]] | None = Field(None, description="Each invalid field, for request validation.")


class ReviewRequest(BaseModel):
    """A draft sent as text, with what the CLI's `review` options say."""

    text: str = Field(min_length=1, description="The draft's text.")
    name: str = Field("draft.md", description="A file name; its extension gives the format (.md, .txt, .html).")
    segment: str | None = Field(None, description="Customer segment the draft targets.")
    product: str | None = Field(None, description="Product the draft is about.")
    model: str | None = Field(None, description="litellm model string, or 'offline'; the server's setting if unset.")


class _FlagCommon(BaseModel):
    review_id: str | None = Field(None, description="Review the flag is given on.")
    draft_path: str | None = Field(None, description="Name of the draft.")
    draft_text: str | None = Field(None, description="The draft's text, which makes a missed flag replayable.")
    who: str | None = Field(None, description="Who files the flag.")


class MissedFlag(_FlagCommon):
    """An objection the review missed, in customers' words (`reviewer flag --missed`)."""

    kind: Literal["missed"]
    text: str = Field(pattern=r"\S", description="What customers say.")
    draft_sha256: str | None = Field(None, description="`draft.sha256` of the review, when it was about a draft.")
    theme_id: str | None = Field(None, description="Objection theme the miss belongs to.")
    account: str | None = Field(None, description="Account it was heard from.")
    rep: str | None = Field(None, description="Rep who heard it.")


class WrongFlag(_FlagCommon):
    """A finding that is wrong for this draft; it is suppressed from now on (`reviewer flag --wrong`)."""

    kind: Literal["wrong"]
    finding_id: str = Field(min_length=1, description="The finding's id from the review.")
    draft_sha256: str = Field(min_length=1, description="`draft.sha256` of the review.")
    reason: str = Field("", description="Why the finding is wrong.")


class GoodFlag(_FlagCommon):
    """A finding that was a good catch; its theme weighs more later (`reviewer flag --good`)."""

    kind: Literal["good"]
    finding_id: str = Field(min_length=1, description="The finding's id from the review.")
    draft_sha256: str = Field(min_length=1, description="`draft.sha256` of the review.")


FlagRequest = Annotated[MissedFlag | WrongFlag | GoodFlag, Field(discriminator="kind")]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    corpus_version: str = Field(description="Version of the call notes the warm context was built on.")
    themes: int = Field(description="Objection themes loaded.")


class _Contexts:
    """The process's review context, rebuilt when the corpus changes, plus one per overridden model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._base: ReviewContext | None = None
        self._by_model: dict[str, ReviewContext] = {}

    def get(self, model: str | None = None) -> ReviewContext:
        from reviewer.graph import build_context
        from reviewer.store import read_manifest

        with self._lock:
            manifest = read_manifest(self.settings)
            if self._base is None or (manifest and manifest["corpus_version"] != self._base.versions["corpus"]):
                self._base = build_context(self.settings)
                self._by_model.clear()
            base = self._base
            if model is None or model.strip() == self.settings.model:
                return base
            if model not in self._by_model:
                if len(self._by_model) >= _MODELS_KEPT:
                    self._by_model.pop(next(iter(self._by_model)))
                self._by_model[model] = _with_model(base, model)
            return self._by_model[model]


def _with_model(base: ReviewContext, model: str) -> ReviewContext:
    settings = base.settings.model_copy(update={"model": model})
    llm = None
    if not settings.offline:
        from reviewer.llm import LLMClient

        llm = LLMClient(settings)
    return replace(base, settings=settings, llm=llm, versions={**base.versions, "model": settings.model})


def create_app(settings: Settings) -> FastAPI:
    """The service for these settings; the context is built when the server starts."""
    contexts = _Contexts(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(contexts.get)  # warm before the first request, not during it
        yield

    app = FastAPI(
        title="Collateral Reviewer",
        summary="Review marketing drafts against the objections customers raise in sales calls.",
        version="1",
        lifespan=lifespan,
    )
    app.state.token = settings.service_token.get_secret_value() if settings.service_token else None
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": text}
        for code, text in (
            (401, "No or a wrong bearer token."),
            (422, "The request or the draft cannot be used; the message names the file and the reason."),
            (503, "The call-note store cannot be used."),
        )
    }
    guarded = [Depends(_authorised)]

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz() -> Health:
        """Liveness and what the warm context holds; needs no token."""
        ctx = contexts.get()
        return Health(corpus_version=ctx.versions.get("corpus", "empty"), themes=len(ctx.themes))

    @app.post(
        "/v1/reviews",
        response_model=Review,
        dependencies=guarded,
        tags=["reviews"],
        responses={
            **errors,
            400: {"model": ErrorBody, "description": "A form that cannot be parsed (or has too many parts)."},
            413: {"model": ErrorBody, "description": "A request far above the draft size limit."},
            415: {"model": ErrorBody, "description": "Neither JSON nor a file upload."},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ReviewRequest.model_json_schema()},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary", "description": "The draft file."},
                                "segment": {"type": "string"},
                                "product": {"type": "string"},
                                "model": {"type": "string"},
                            },
                        }
                    },
                },
            }
        },
    )
    async def create_review(request: Request) -> Review:
        """Review a draft, sent as JSON text or uploaded as a file (Markdown, text, HTML, DOCX or PDF)."""
        draft, options = await _read_draft(request, settings)
        ctx = await run_in_threadpool(contexts.get, options.get("model"))
        from reviewer.graph import review_draft

        return await run_in_threadpool(
            lambda: review_draft(ctx, draft=draft, segment=options.get("segment"), product=options.get("product"))
        )

    @app.get(
        "/v1/objections",
        response_model=list[Theme],
        response_model_exclude={"__all__": _THEME_EXCLUDE},  # type: ignore[dict-item]
        dependencies=guarded,
        tags=["objections"],
        responses=errors,
    )
    def objections(
        segment: Annotated[str | None, Query(description="Only themes raised in this segment.")] = None,
        product: Annotated[str | None, Query(description="Only themes raised about this product.")] = None,
        language: Annotated[str | None, Query(description="Only themes raised in this language.")] = None,
        top: Annotated[int, Query(ge=1, le=1000, description="How many themes.")] = 10,
    ) -> Any:
        """The objection themes customers raise, ranked by impact (frequency weighted by loss rate)."""
        from reviewer.objections import filter_themes

        return filter_themes(contexts.get().themes, segment, product, language, top)

    @app.post("/v1/flags", response_model=Flag, status_code=201, dependencies=guarded, tags=["flags"], responses=errors)
    def create_flag(body: FlagRequest) -> Flag:  # type: ignore[valid-type]
        """Flag what a review missed, a wrong finding or a good catch; the next review uses it."""
        return _add_flag(contexts.get(), body)

    _install_error_handlers(app)
    app.state.contexts = contexts
    return app


async def _read_draft(request: Request, settings: Settings) -> tuple[Any, dict[str, str | None]]:
    from reviewer.drafts import draft_from_text, load_draft_bytes

    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Refused before anything is read: a draft at the size limit, JSON-escaped, stays well below this.
    allowed = 2 * settings.max_draft_bytes + 1024 * 1024
    if int(request.headers.get("content-length") or 0) > allowed:
        raise HTTPException(413, f"the request is larger than {allowed / 1024 / 1024:.0f} MB")
    if content_type == "application/json":
        try:
            body = ReviewRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc
        size = len(body.text.encode("utf-8", "surrogatepass"))
        if size > settings.max_draft_bytes:
            limit = settings.max_draft_bytes / 1024 / 1024
            raise InputError(body.name, f"text is {size / 1024 / 1024:.1f} MB; the limit is {limit:.1f} MB")
        options = {"segment": body.segment, "product": body.product, "model": body.model}
        return await run_in_threadpool(draft_from_text, body.text, body.name), options
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=8) as form:  # closes the spooled upload
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InputError(None, "the form has no `file` part with the draft")
            data = await upload.read(settings.max_draft_bytes + 1)
            name = upload.filename or "upload"
            fields = {k: form.get(k) for k in ("segment", "product", "model")}
            options = {k: v if isinstance(v, str) and v else None for k, v in fields.items()}
        return await run_in_threadpool(load_draft_bytes, data, name, settings), options
    raise HTTPException(415, "send the draft as application/json or as a multipart/form-data file upload")


_bearer = HTTPBearer(auto_error=False, description="The server's REVIEWER_SERVICE_TOKEN.")


def _authorised(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    token: str | None = request.app.state.token
    if token is None:
        return  # no token: the server only listens on loopback (see `check_bind`)
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


def _add_flag(ctx: ReviewContext, body: MissedFlag | WrongFlag | GoodFlag) -> Flag:
    book = ctx.flags
    common = {
        "review_id": body.review_id,
        "draft_sha256": body.draft_sha256,
        "draft_path": body.draft_path,
        "draft_text": body.draft_text,
        "who": body.who,
        "source": "api",
    }
    if isinstance(body, MissedFlag):
        return book.add_missed(body.text, theme_id=body.theme_id, account=body.account, rep=body.rep, **common)
    common["review_id"] = body.review_id or ""
    if isinstance(body, WrongFlag):
        return book.add_wrong(finding_id=body.finding_id, reason=body.reason, **common)
    return book.add_good(finding_id=body.finding_id, **common)


def _error(status: int, kind: str, message: str, detail: list[dict[str, Any]] | None = None) -> JSONResponse:
    body = ErrorBody(error=kind, message=message, detail=detail)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, "invalid_input", str(exc))

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> JSONResponse:
        return _error(422, "invalid_input", str(exc))  # the flag book's checks, as the CLI shows them

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in detail)
        return _error(422, "invalid_input", f"invalid request: {fields}", detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "unsupported_media_type",
        }
        response = _error(exc.status_code, kinds.get(exc.status_code, "invalid_input"), str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return _error(503, "store_unavailable", str(exc))

    @app.exception_handler(LLMError)
    async def llm_error(request: Request, exc: LLMError) -> JSONResponse:
        return _error(502, "model_failed", str(exc))

    @app.exception_handler(ReviewerError)
    async def reviewer_error(request: Request, exc: ReviewerError) -> JSONResponse:
        return _error(500, "internal", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal", "internal error; the server log has the details")


def check_bind(host: str, settings: Settings) -> None:
    """Without a token the service answers anyone who can connect, so it may only listen on loopback."""
    if settings.service_token is not None:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(
            "REVIEWER_SERVICE_TOKEN",
            f"refusing to listen on {host} without a token: set REVIEWER_SERVICE_TOKEN, or use 127.0.0.1",
        )
