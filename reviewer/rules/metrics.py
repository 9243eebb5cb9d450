"""The document-level rule types: `readability` (grade formulas) and `metric` (custom formulas)."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from reviewer.rules.model import Block, FileState, Hit, format_message
from reviewer.text import sentence_spans

_WORDS = re.compile(r"[A-Za-zÀ-ÿ0-9'’-]+")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Rough English syllable count (vowel groups, silent trailing e)."""
    w = word.lower().strip("'’-")
    if not w:
        return 0
    count = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


@dataclass
class TextStats:
    """Counts the readability formulas need."""

    words: int
    sentences: int
    syllables: int
    characters: int
    complex_words: int
    long_words: int
    polysyllabic_words: int

    @classmethod
    def of(cls, text: str) -> TextStats:
        words = _WORDS.findall(text)
        sylls = [syllables(w) for w in words]
        return cls(
            words=len(words),
            sentences=max(1, len(sentence_spans(text))) if words else 0,
            syllables=sum(sylls),
            characters=sum(len(w) for w in words),
            complex_words=sum(1 for s in sylls if s >= 3),
            long_words=sum(1 for w in words if len(w) > 6),
            polysyllabic_words=sum(1 for s in sylls if s >= 3),
        )

    def grade(self, metric: str) -> float:
        """One named readability grade."""
        w, s = max(self.words, 1), max(self.sentences, 1)
        if metric == "Flesch-Kincaid":
            return 0.39 * (w / s) + 11.8 * (self.syllables / w) - 15.59
        if metric == "Gunning Fog":
            return 0.4 * ((w / s) + 100 * (self.complex_words / w))
        if metric == "Coleman-Liau":
            return 0.0588 * (self.characters / w * 100) - 0.296 * (s / w * 100) - 15.8
        if metric == "SMOG":
            return 1.0430 * math.sqrt(self.polysyllabic_words * 30 / s) + 3.1291
        if metric == "Automated Readability":
            return 4.71 * (self.characters / w) + 0.5 * (w / s) - 21.43
        raise ValueError(f"unknown readability metric {metric!r}")


class Readability:
    """Flags a document whose average grade exceeds `grade`."""

    known = ("Gunning Fog", "Coleman-Liau", "Flesch-Kincaid", "SMOG", "Automated Readability")

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        self.message = str(spec.get("message", ""))
        self.metrics = [str(m) for m in spec.get("metrics") or []]
        unknown = [m for m in self.metrics if m not in self.known]
        if not self.metrics or unknown:
            raise ValueError(f"'metrics' must be some of {list(self.known)}, got {unknown or 'none'}")
        self.grade = float(spec.get("grade", 0) or 0)

    def run(self, block: Block, state: FileState) -> list[Hit]:
        stats = TextStats.of(block.text)
        if stats.words == 0:
            return []
        grade = sum(stats.grade(m) for m in self.metrics) / len(self.metrics)
        if grade > self.grade:
            return [Hit(-1, -1, format_message(self.message, f"{grade:.2f}"))]
        return []


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_MATH: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "log": math.log,
    "pow": math.pow,
    "min": min,
    "max": max,
    "floor": math.floor,
    "ceil": math.ceil,
}


def evaluate(expr: str, names: dict[str, float]) -> float | bool:
    """Evaluate a small arithmetic/comparison formula (Vale's Tengo subset) safely."""
    tree = ast.parse(expr.strip().replace("math.", ""), mode="eval")
    return _eval(tree.body, names)


def _eval(node: ast.AST, names: dict[str, float]):
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id, 0.0)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, names), _eval(node.right, names)
        if isinstance(node.op, ast.Div) and right == 0:
            return 0.0
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        return _CMPOPS[type(node.ops[0])](_eval(node.left, names), _eval(node.comparators[0], names))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _MATH:
        return _MATH[node.func.id](*(_eval(a, names) for a in node.args))
    raise ValueError(f"unsupported expression: {ast.dump(node)[:60]}")


class Metric:
    """Flags a document where `formula` meets `condition`."""

    def __init__(self, spec: dict, vocab: list[str]) -> None:
        self.message = str(spec.get("message", ""))
        self.formula = re.sub(r"heading\.(h[1-6])", r"heading_\1", str(spec.get("formula", "")))
        self.condition = str(spec.get("condition", ""))
        probe = dict.fromkeys(_VARIABLES, 1.0)
        # Fail at load time, naming the rule file, rather than in the middle of a lint.
        evaluate(self.formula, probe)
        evaluate(f"1 {self.condition}", probe)

    def run(self, block: Block, state: FileState) -> list[Hit]:
        stats = TextStats.of(block.text)
        if stats.words == 0:
            return []
        names = dict.fromkeys(_VARIABLES, 0.0)
        names.update({k: float(v) for k, v in vars(stats).items()})
        names.update(state.metrics)
        value = float(evaluate(self.formula, names))
        if evaluate(f"{value!r} {self.condition}", names):
            return [Hit(-1, -1, format_message(self.message, f"{value:.2f}"))]
        return []


_VARIABLES = (
    "words",
    "sentences",
    "syllables",
    "characters",
    "complex_words",
    "long_words",
    "polysyllabic_words",
    "paragraphs",
    "pre",
    "list",
    "blockquote",
    "heading_h1",
    "heading_h2",
    "heading_h3",
    "heading_h4",
    "heading_h5",
    "heading_h6",
)
