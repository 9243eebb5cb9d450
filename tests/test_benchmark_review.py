"""benchmarks/review.py's LLM-path measurement runs through litellm against the fake server: the
script prints real calls and tokens, not a crash after the other figures."""

from __future__ import annotations

from benchmarks import review as bench


def test_llm_round_trips_print_calls_and_tokens(demo_settings, capsys, monkeypatch) -> None:
    from reviewer import llm

    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)
    bench.llm_round_trips(demo_settings, delay=0.05)
    printed = capsys.readouterr().out
    assert "LLM path (fake server" in printed
    calls = int(printed.split(" calls,")[0].rsplit(" ", 1)[-1])
    tokens = int(printed.split(" prompt tokens")[0].rsplit(" ", 1)[-1])
    assert calls >= 1 and tokens > 0
