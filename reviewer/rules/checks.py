"""The pattern-based rule types: existence, substitution, occurrence, repetition, consistency, conditional."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from reviewer.rules.model import Block, FileState, Hit, apply_action, format_message, to_sentence
from reviewer.rules.regexes import (
    NONWORD_TEMPLATE,
    WORD_TEMPLATE,
    compile_pattern,
    count_capture_groups,
    exceptions_regex,
    fast_prefilter,
    is_phrase,
    join_tokens,
    non_capturing,
    phrase_regex,
    token_regex,
)
from reviewer.text import sentence_spans


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


class Check:
    """Base: a compiled rule body; `run` returns hits in block coordinates."""

    pattern: regex.Pattern | None = None
    # A faster superset of `pattern`, used to pick the blocks the real pattern runs on.
    prefilter: regex.Pattern | None = None

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        self.spec = spec
        self.message = str(spec.get("message", ""))
        self.action = spec.get("action") or {}
        terms = _as_list(spec.get("exceptions"))
        if spec.get("vocab", True):
            terms += vocab
        self.except_re = exceptions_regex(terms)
        self.phrase_re = phrase_regex(terms)

    def excepted(self, text: str, observed: str, start: int, end: int) -> bool:
        """True when the match is an exception or sits inside an accepted phrase."""
        if self.except_re is not None and self.except_re.search(observed):
            return True
        if self.phrase_re is not None:
            for m in self.phrase_re.finditer(text):
                if m.start() <= start and end <= m.end():
                    return True
        return False

    def hit(self, start: int, end: int, match: str, groups: tuple[str, ...] = ()) -> Hit:
        """A hit whose message gets the match (and the action's fix, when there is one)."""
        fixes = apply_action(self.action, match, groups)
        if self.action.get("name"):
            repl = fixes[0] if len(fixes) == 1 else (to_sentence(fixes) if fixes else match)
            message = format_message(self.message, match, repl)
        else:
            message = format_message(self.message, match)
        return Hit(start, end, message, fixes[0] if fixes else None)

    def run(self, block: Block, state: FileState) -> list[Hit]:  # pragma: no cover - interface
        raise NotImplementedError


class Existence(Check):
    """Flags every match of `tokens`/`raw`."""

    pattern: regex.Pattern  # always compiled in __init__

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        nonword = bool(spec.get("nonword", False))
        super().__init__(spec, vocab if not nonword else [])
        source = token_regex(
            _as_list(spec.get("tokens")), _as_list(spec.get("raw")), nonword, bool(spec.get("append", False))
        )
        self.pattern = compile_pattern(source, bool(spec.get("ignorecase", False)))
        tokens = _as_list(spec.get("tokens"))
        self.prefilter = fast_prefilter(tokens, bool(spec.get("ignorecase")), nonword)
        if spec.get("raw") and join_tokens(tokens) and not spec.get("append"):
            # raw + tokens can only match where the tokens do; the tokens alone scan faster.
            self.prefilter = self.prefilter or compile_pattern(
                (NONWORD_TEMPLATE if nonword else WORD_TEMPLATE).format(join_tokens(tokens)),
                bool(spec.get("ignorecase")),
            )

    def run(self, block: Block, state: FileState) -> list[Hit]:
        return self.hits_from(block, self.pattern.finditer(block.text))

    def hits_from(self, block: Block, matches: Iterable[regex.Match], offset: int = 0) -> list[Hit]:
        """Hits for matches of `pattern` found in a text where the block starts at `offset`."""
        hits = []
        for m in matches:
            if m.end() == m.start():
                continue
            start, end = m.start() - offset, m.end() - offset
            observed = m.group().strip()
            if not self.excepted(block.text, observed, start, end):
                groups = tuple(g or "" for g in m.groups())
                hits.append(self.hit(start, end, m.group(), groups))
        return hits


class Substitution(Check):
    """Flags keys of `swap` and suggests their values."""

    pattern: regex.Pattern  # always compiled in __init__

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        super().__init__(spec, vocab)
        swap = spec.get("swap") or {}
        if not isinstance(swap, dict):
            raise ValueError("'swap' must be a mapping")
        self.ignorecase = bool(spec.get("ignorecase", False))
        # Vale 3.x re-cased replace suggestions to a capitalised match (Microsoft's fixtures expect
        # "Aren't" for "Are not"); `capitalize: false` turns that off.
        self.capitalize = bool(spec.get("capitalize", self.action.get("name") == "replace"))
        # Longest keys first so alternation prefers the longest phrase, as Vale sorts them.
        self.keys = sorted((str(k) for k in swap), key=len, reverse=True)
        self.values = [str(swap[k]) if swap[k] is not None else "" for k in self.keys]
        groups = "|".join(f"({non_capturing(k)})" for k in self.keys)
        template = NONWORD_TEMPLATE if spec.get("nonword") else WORD_TEMPLATE
        self.pattern = compile_pattern(template.format(groups), self.ignorecase)
        self.prefilter = fast_prefilter(self.keys, self.ignorecase, bool(spec.get("nonword")))
        self.key_res: dict[int, regex.Pattern] = {}

    def _expected(self, index: int, observed: str) -> str:
        expected = self.values[index]
        if self.capitalize and observed[:1].isupper():
            expected = expected[:1].upper() + expected[1:]
        if _GROUP_REF.search(expected):
            key = self.key_res.setdefault(index, compile_pattern(self.keys[index], self.ignorecase))
            expected = key.sub(expected.replace("$", "\\"), observed)
        return expected

    def run(self, block: Block, state: FileState) -> list[Hit]:
        return self.hits_from(block, self.pattern.finditer(block.text))

    def hits_from(self, block: Block, matches: Iterable[regex.Match], offset: int = 0) -> list[Hit]:
        """Hits for matches of `pattern` found in a text where the block starts at `offset`."""
        hits = []
        for m in matches:
            index = m.lastindex
            if index is None:
                continue
            start, end = m.span(index)
            start, end = start - offset, end - offset
            observed = m.group(index)
            expected = self._expected(index - 1, observed)
            replace = self.action.get("name") == "replace"
            options = _options(expected)
            # A replace value is literal text; otherwise it may be a pattern of accepted forms.
            same = observed in options if replace else _match_token(expected, observed)
            if same or (self.except_re is not None and self.except_re.search(observed)):
                continue
            message = self.message
            if replace and not self.action.get("params") and len(options) > 1:
                # Several suggestions are listed already quoted: 'a' or 'b'.
                expected = to_sentence(options)
                message = _unquote_first(message)
            text = format_message(message, expected, observed)
            hits.append(Hit(start, end, text, options[0] if options else expected))
        return hits


_GROUP_REF = regex.compile(r"\$\d+")


def _options(expected: str) -> list[str]:
    """Split 'a|b' into suggestions, keeping escaped pipes."""
    temp = expected.replace(r"\|", "\0")
    return [o.replace("\0", "|") for o in temp.split("|") if o]


def _match_token(expected: str, observed: str) -> bool:
    # A plain phrase is compared literally; otherwise the value is a pattern of accepted forms.
    if is_phrase(expected):
        return expected == observed
    try:
        return regex.fullmatch(expected, observed) is not None
    except regex.error:
        return expected == observed


def _unquote_first(message: str) -> str:
    # The suggestion list is already quoted, so drop the quotes around its placeholder.
    for spec in ("'%s'", '"%s"'):
        if message.count(spec) == 2:
            return message.replace(spec, "%s", 1)
    return message


class Occurrence(Check):
    """Flags a block where `token` occurs more than `max` or fewer than `min` times."""

    pattern: regex.Pattern  # always compiled in __init__

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        super().__init__(spec, [])
        self.max = int(spec.get("max", 0) or 0)
        self.min = int(spec.get("min", 0) or 0)
        self.pattern = compile_pattern(f"(?:{spec.get('token', '')})", bool(spec.get("ignorecase")))

    def run(self, block: Block, state: FileState) -> list[Hit]:
        matches = list(self.pattern.finditer(block.text))
        count = len(matches)
        if not ((self.max > 0 and count > self.max) or (self.min > 0 and count < self.min)):
            return []
        message = format_message(self.message, count)
        if count == 0:
            return [Hit(-1, -1, message)]
        for m in matches:
            if m.group().strip():
                return [Hit(m.start(), m.end(), message)]
        return []


class Repetition(Check):
    """Flags a token repeated back to back (`the the`)."""

    pattern: regex.Pattern  # always compiled in __init__

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        super().__init__(spec, vocab)
        self.max = int(spec.get("max", 0) or 0)
        self.alpha = bool(spec.get("alpha", False))
        self.ignorecase = bool(spec.get("ignorecase", False))
        self.pattern = compile_pattern("(" + "|".join(_as_list(spec.get("tokens"))) + ")", self.ignorecase)

    def run(self, block: Block, state: FileState) -> list[Hit]:
        hits, prev, prev_start, count = [], "", 0, 0
        for m in self.pattern.finditer(block.text):
            curr = m.group().strip()
            same = curr.lower() == prev.lower() if self.ignorecase else curr == prev
            hit = same and curr != "" and (not self.alpha or curr.isalpha())
            if hit:
                count += 1
            if hit and count > self.max:
                span = block.text[prev_start : m.end()]
                if len(sentence_spans(span)) == 1 and not self.excepted(block.text, span, prev_start, m.end()):
                    found = self.hit(prev_start, m.end(), span)
                    found.message = format_message(self.message, curr)
                    hits.append(found)
                    count = 0
            prev, prev_start = curr, m.start()
        return hits


class Consistency(Check):
    """Flags the second spelling once both spellings of an `either` pair appear in a document."""

    def __init__(self, spec: dict, vocab: list[str], name: str = "") -> None:
        super().__init__(spec, [])
        either = spec.get("either") or {}
        if not isinstance(either, dict):
            raise ValueError("'either' must be a mapping")
        template = NONWORD_TEMPLATE if spec.get("nonword") else WORD_TEMPLATE
        self.steps = []
        for i, (first, second) in enumerate(either.items()):
            source = template.format(f"({first})|({second})")
            self.steps.append(
                (compile_pattern(source, bool(spec.get("ignorecase"))), count_capture_groups(str(first)), i)
            )

    def run(self, block: Block, state: FileState) -> list[Hit]:
        hits = []
        seen = state.seen(f"consistency:{id(self)}")
        for pattern, first_groups, i in self.steps:
            last = None
            for m in pattern.finditer(block.text):
                side = 1 if m.group(1) is not None else 2
                index = 1 if side == 1 else 2 + first_groups
                seen.add(f"{i}:{side}")
                last = m.span(index)
            if last is not None and {f"{i}:1", f"{i}:2"} <= seen:
                hits.append(self.hit(last[0], last[1], block.text[last[0] : last[1]]))
        return hits


class Conditional(Check):
    """Flags matches of `first` that no match of `second` in the document accounts for."""

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        super().__init__(spec, vocab)
        ignorecase = bool(spec.get("ignorecase", False))
        second = str(spec.get("second", ""))
        self.second = compile_pattern(second, ignorecase)
        self.first = compile_pattern(str(spec.get("first", "")), ignorecase)
        self.second_has_group = self.second.groups > 0

    def run(self, block: Block, state: FileState) -> list[Hit]:
        text = block.text
        if not self.second_has_group and self.second.search(text):
            return []
        defined = state.seen(f"conditional:{id(self)}")
        if self.second_has_group:
            for m in self.second.finditer(text):
                defined.update(g for g in m.groups() if g)
        hits = []
        for m in self.first.finditer(text):
            s = m.group()
            if self.second_has_group and s in defined:
                continue
            if not self.excepted(text, s, m.start(), m.end()):
                hits.append(self.hit(m.start(), m.end(), s))
        return hits
