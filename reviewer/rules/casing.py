"""The `capitalization` rule type: $title (AP/Chicago), $sentence, $lower, $upper or a pattern."""

from __future__ import annotations

import regex

from reviewer.rules.checks import Check, _as_list
from reviewer.rules.model import Block, FileState, Hit, format_message
from reviewer.rules.regexes import compile_pattern

_WORD = r"[\p{N}\p{L}*]+[^\s]*"
_NUMBERED = regex.compile(r"\d+\.")

# Words a title keeps in lower case unless first or last (AP keeps 4+ letter words capitalised).
_ARTICLES = {"a", "an", "the"}
_CONJUNCTIONS = {"and", "but", "for", "nor", "or", "so", "yet"}
_SHORT_PREPOSITIONS = {
    "as",
    "at",
    "by",
    "en",
    "for",
    "in",
    "of",
    "off",
    "on",
    "out",
    "per",
    "to",
    "up",
    "via",
    "vs",
    "vs.",
    "v.",
    "with",
    "from",
    "into",
    "over",
    "upon",
    "onto",
}


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


class Capitalization(Check):
    """Checks the case of a whole block (usually a heading)."""

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        super().__init__(spec, vocab)
        self.match = str(spec.get("match", "$title"))
        self.style = str(spec.get("style", "AP"))
        self.threshold = float(spec.get("threshold", 0) or 0.8)
        self.indicators = _as_list(spec.get("indicators"))
        self.vocab = _as_list(spec.get("exceptions")) + (vocab if spec.get("vocab", True) else [])
        words = _WORD
        if self.except_re is not None:
            words = self.except_re.pattern + "|" + _WORD
        self.words = compile_pattern(words)
        # Vocabulary words are whole words: "I" must not split "is" into "i" + "s".
        vocab_alt = "|".join(regex.escape(v) for v in sorted(self.vocab, key=len, reverse=True))
        self._tokens = regex.compile(rf"\b(?:{vocab_alt})\b|{_WORD}" if vocab_alt else _WORD)
        self.custom = None
        if self.match not in ("$title", "$sentence", "$lower", "$upper"):
            self.custom = compile_pattern(self.match)

    def _in_vocab(self, token: str) -> str:
        low = token.lower()
        for entry in self.vocab:
            if entry.lower() == low:
                return entry
        return ""

    def _indicator(self, word: str, index: int) -> bool:
        if any(word.endswith(s) for s in self.indicators):
            return True
        return index == 0 and _NUMBERED.match(word) is not None

    def sentence_case(self, s: str) -> str:
        """s in sentence case: first word (and words after an indicator) capitalised."""
        tokens = self._tokens.findall(s)
        made = []
        for i, token in enumerate(tokens):
            entry = self._in_vocab(token)
            if entry:
                made.append(entry)
            elif i == 0 or self._indicator(tokens[i - 1], i - 1):
                made.append(_cap(token))
            else:
                made.append(token.lower())
        return " ".join(made)

    def title_case(self, s: str) -> str:
        """s in title case, AP or Chicago style."""
        tokens = s.split()
        made = []
        for i, token in enumerate(tokens):
            entry = self._in_vocab(token)
            low = token.lower()
            minor = low in _ARTICLES or low in _CONJUNCTIONS or low in _SHORT_PREPOSITIONS
            if self.style != "Chicago" and low in _SHORT_PREPOSITIONS and len(low) > 3:
                minor = False
            if entry:
                made.append(entry)
            elif i in (0, len(tokens) - 1) or not minor:
                made.append(token[:1].upper() + token[1:])
            else:
                made.append(low)
        return " ".join(made)

    def _ratio_ok(self, s: str, expected: str, first_rule: bool) -> bool:
        want = self.words.findall(expected)
        count = words = 0
        for i, w in enumerate(self.words.findall(s)):
            excepted = bool(self.except_re and self.except_re.search(w))
            # Title case also accepts all-caps words (acronyms); sentence case does not.
            if i >= len(want) or w == want[i] or excepted or (not first_rule and w == w.upper()):
                count += 1
            elif first_rule and i == 0 and w != _cap(w):
                return False
            words += 1
        return words == 0 or count / words >= self.threshold

    def check(self, s: str) -> tuple[str, bool]:
        """The expected form of s and whether s is acceptable."""
        if self.match == "$sentence":
            expected = self.sentence_case(s)
            return expected, self._ratio_ok(s, expected, True)
        if self.match == "$title":
            expected = self.title_case(s)
            return expected, self._ratio_ok(s, expected, False)
        excepted = bool(self.except_re and self.except_re.search(s))
        if self.match == "$lower":
            return s.lower(), s == s.lower() or excepted
        if self.match == "$upper":
            return s.upper(), s == s.upper() or excepted
        assert self.custom is not None
        return s, bool(self.custom.search(s)) or excepted

    def run(self, block: Block, state: FileState) -> list[Hit]:
        expected, ok = self.check(block.text)
        if ok:
            return []
        message = format_message(self.message, block.text, expected)
        # No replacement, as in Vale: a re-cased heading cannot tell proper nouns ("Germany") from
        # words to lower-case, so accepting it would damage the text.
        return [Hit(0, len(block.text), message, None)]
