"""Vale-style pattern building on the `regex` engine (lookbehind, \\p{..}, scoped flags)."""

from __future__ import annotations

import regex

# Vale wraps word tokens in \b...\b unless `nonword: true`; `(?m)` makes ^/$ line anchors.
WORD_TEMPLATE = r"\b(?:{})\b"
NONWORD_TEMPLATE = r"(?:{})"


def translate(pattern: str) -> str:
    """Turn Go/.NET-only syntax into its `regex` equivalent."""
    # Go's \z (absolute end) is spelt \Z in Python.
    return pattern.replace(r"\z", r"\Z")


def compile_pattern(pattern: str, ignorecase: bool = False, multiline: bool = True) -> regex.Pattern:
    """Compile one pattern with Vale's flags; raises regex.error on bad syntax."""
    flags = regex.V0
    if ignorecase:
        flags |= regex.IGNORECASE
    if multiline:
        flags |= regex.MULTILINE
    return regex.compile(translate(pattern), flags)


def join_tokens(tokens: list[str]) -> str:
    """Alternation of non-empty tokens, as Vale joins `tokens`."""
    return "|".join(t for t in tokens if t.strip())


def token_regex(tokens: list[str], raw: list[str] | None = None, nonword: bool = False, append: bool = False) -> str:
    """Existence pattern: `raw` parts then the word-bounded token alternation (or after, with append)."""
    joined = join_tokens(tokens)
    template = WORD_TEMPLATE if (not nonword and joined) else NONWORD_TEMPLATE
    body = template.format(joined)
    raw_part = "".join(raw or [])
    if not raw_part:
        return body
    if not joined:
        return raw_part
    return body + raw_part if append else raw_part + body


def exceptions_regex(terms: list[str]) -> regex.Pattern | None:
    """Whole-word exception matcher, longest first so alternation stays greedy."""
    ordered = sorted((t for t in terms if t), key=len, reverse=True)
    if not ordered:
        return None
    return compile_pattern(WORD_TEMPLATE.format("|".join(ordered)))


def phrase_regex(terms: list[str]) -> regex.Pattern | None:
    """Matcher for multi-word exceptions, so a match inside an accepted phrase is spared."""
    phrases = [t for t in terms if " " in t or "\t" in t or r"\s" in t]
    if not phrases:
        return None
    try:
        return compile_pattern(r"\b(?:" + "|".join(phrases) + r")\b", ignorecase=True)
    except regex.error:
        return None


def count_capture_groups(pattern: str) -> int:
    """Number of capturing groups in a pattern (0 when it does not compile)."""
    try:
        return regex.compile(translate(pattern)).groups
    except regex.error:
        return 0


_CAPTURE_OPEN = regex.compile(r"(?<!\\)\((?!\?)")


def non_capturing(pattern: str) -> str:
    """Make every plain group non-capturing, as Vale does for substitution keys."""
    return _CAPTURE_OPEN.sub("(?:", pattern)


def is_phrase(s: str) -> bool:
    """True when s has only letters, digits, spaces and hyphens (no regex syntax)."""
    return all(c.isalpha() or c.isdigit() or c in " -" for c in s)


_LITERAL = regex.compile(r"[\w' ’-]+")


def _trie_source(words: list[str]) -> str:
    """A prefix-factored alternation of literal words (matching speed no longer grows with the list)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        options = [regex.escape(ch) + emit(child) for ch, child in node.items() if ch]
        optional = "" in node
        if not options:
            return ""
        body = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
        return f"(?:{body})?" if optional else body

    return emit(trie)


def fast_prefilter(tokens: list[str], ignorecase: bool, nonword: bool) -> regex.Pattern | None:
    """A pattern matching at least wherever the token alternation matches, but much faster.

    Used only to find the blocks worth running the real pattern on, so its alternation order
    does not matter. None when the list is too short to gain anything.
    """
    literal = [t.lower() if ignorecase else t for t in tokens if _LITERAL.fullmatch(t)]
    others = [t for t in tokens if t.strip() and not _LITERAL.fullmatch(t)]
    if len(literal) < 20:
        return None
    alternatives = [_trie_source(sorted(set(literal)))] + others
    template = NONWORD_TEMPLATE if nonword else WORD_TEMPLATE
    try:
        return compile_pattern(template.format("|".join(alternatives)), ignorecase)
    except regex.error:
        return None
