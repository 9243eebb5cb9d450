"""The one place that reads the environment: every setting, with its `REVIEWER_` variable."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Both are read by litellm and chromadb at import time, so they are set when this module loads:
# a fresh machine must never block on fetching a cost map or posting telemetry.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration for every command, from `REVIEWER_*` variables, a `.env` file, or flags."""

    model_config = SettingsConfigDict(env_prefix="REVIEWER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the store, caches and reviews live.")
    model: str = Field("offline", description="litellm model string (e.g. openai/gpt-4o-mini), or 'offline'.")
    embeddings: str = Field(
        "static",
        description=(
            "Embedding backend: 'static' (model2vec distilled from the packaged all-MiniLM-L6-v2), "
            "'minilm' (the packaged model through sentence-transformers), 'hash' (no model; tests), "
            "or 'litellm/<provider>/<model>' (your provider's embedding model)."
        ),
    )
    model_cache: Path = Field(
        Path.home() / ".cache" / "collateral-reviewer",
        description="Where the static embedding model distilled from the packaged one is kept.",
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; embedded store when unset.")
    database_url: str | None = Field(
        None, description="SQLAlchemy-style URL for reviews and flags; SQLite in the data dir when unset."
    )
    # No team's taxonomy or brand rules are assumed: without these settings mining discovers every
    # theme from the calls and reviews check no brand rules (the demo passes its own, see the Makefile).
    guidelines: Path | None = Field(
        None, description="Folder with guidelines.md and the Vale-style rules; none unless configured."
    )
    taxonomy: Path | None = Field(None, description="Objection taxonomy (YAML) that anchors and names themes.")
    vocabulary: Path | None = Field(
        None,
        description=(
            "Optional YAML of workspace words for the judges: proof_terms (certificates and the like "
            "that back a claim) and absolute_claims (promise patterns the calls contradict)."
        ),
    )
    company: str = Field(
        "",
        description=(
            "Who the reviews are for, in a sentence the prompts use: the company, its offer and its "
            "audience (e.g. 'Acme, an online clothing store, writing to its shoppers'). Unset: prompts "
            "speak of 'the company' and judge from the calls alone."
        ),
    )
    redact: bool = Field(True, description="Redact personal data before storing or sending text.")
    seller_roles: list[str] = Field(
        default_factory=lambda: [
            "rep",
            "sales",
            "seller",
            "ae",
            "sdr",
            "bdr",
            "account executive",
            "vertrieb",
            "verkäufer",
            "verkäuferin",
            "berater",
            "beraterin",
            "csm",
            "se",
            "sales engineer",
        ],
        description="Speaker labels that mean the seller side.",
    )
    customer_roles: list[str] = Field(
        default_factory=lambda: [
            "prospect",
            "customer",
            "client",
            "buyer",
            "lead",
            "kunde",
            "kundin",
            "interessent",
            "interessentin",
            "käufer",
            "champion",
            "cfo",
            "cto",
            "ciso",
            "it",
            "procurement",
            "einkauf",
        ],
        description="Speaker labels that mean the customer side.",
    )
    internal_domains: list[str] = Field(
        default_factory=list,
        description=(
            'The team\'s own e-mail domains (JSON list, e.g. ["acme.com"]): a call participant whose '
            "address is in one of them (or a subdomain) is the seller side, anyone else with an address "
            "the customer side. Used for recorder parties without an Internal/External affiliation, "
            "transcript sidecars and JSONL `participants`."
        ),
    )
    llm_timeout: float = Field(60.0, description="Seconds before an LLM call is abandoned.")
    llm_retries: int = Field(3, description="Retries on 429/5xx before falling back offline.")
    api_base: str | None = Field(None, description="Base URL for an OpenAI-compatible provider.")
    api_key: SecretStr | None = Field(
        None, description="API key passed to litellm (else its own env vars); never shown in logs or repr."
    )
    max_draft_bytes: int = Field(10 * 1024 * 1024, description="Largest draft file accepted.")
    lock_timeout: float = Field(10.0, description="Seconds a second writer waits for the store.")
    batch_lease_seconds: float = Field(
        60.0,
        gt=0,
        description=(
            "With a database URL, how long a batch worker's hold on a draft lasts without a heartbeat "
            "(renewed every third of it while it reviews): a killed worker's drafts go to another after this."
        ),
    )
    service_token: SecretStr | None = Field(
        None,
        description=("Bearer token `reviewer serve` requires on /v1/*; without one it only listens on loopback."),
    )

    @field_validator("service_token", mode="after")
    @classmethod
    def _no_empty_token(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty REVIEWER_SERVICE_TOKEN (compose passes one when it is unset) is no token at all.
        return value if value is not None and value.get_secret_value().strip() else None

    @cached_property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def api_key_value(self) -> str | None:
        """The API key itself, for the one module that calls providers."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    @property
    def offline(self) -> bool:
        return self.model.strip().lower() in {"", "offline", "none"}


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
