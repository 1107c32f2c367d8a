"""Disguise a copied answer as a student would: rename its variables and swap neighbouring statements.

The tests and the similarity benchmark use it to make copies that a line-by-line diff would miss.
"""
from __future__ import annotations

import ast
import io
import keyword
import random
import tokenize


def assigned_names(code: str) -> set[str]:
    """Return the names the code assigns or takes as parameters (the ones a copier renames)."""
    tree = ast.parse(code)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def rename(code: str, mapping: dict[str, str]) -> str:
    """Return code with each NAME token in mapping replaced (comments, strings and layout left as they are)."""
    tokens = [t._replace(string=mapping.get(t.string, t.string)) if t.type == tokenize.NAME else t
              for t in tokenize.generate_tokens(io.StringIO(code).readline)]
    return tokenize.untokenize(tokens)


def one_line_statement(node) -> bool:
    """Say whether the node is an assignment or a call on a line of its own (not a def, if, for, return...)."""
    docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    return isinstance(node, ast.Assign | ast.AugAssign | ast.Expr) and node.lineno == node.end_lineno and not docstring


def swap_statements(code: str) -> str:
    """Return code with neighbouring one-line statements of each block swapped, pair by pair."""
    lines = code.splitlines()
    swaps = []
    for node in ast.walk(ast.parse(code)):
        for body in (getattr(node, name, None) for name in ("body", "orelse")):
            if not isinstance(body, list):
                continue
            simple = [s.lineno - 1 for s in body if one_line_statement(s)]
            taken = set()
            for first, second in zip(simple, simple[1:], strict=False):
                if second == first + 1 and first not in taken:
                    swaps.append(first)
                    taken |= {first, second}
    for at in swaps:
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    return "\n".join(lines)


def disguise(code: str, seed: int = 0) -> str:
    """Return a copy of code (a whole cell that parses) with its variables renamed and statements swapped (a
cell that does not parse comes back as it is)."""
    rng = random.Random(seed)
    try:
        names = sorted(assigned_names(code))
    except SyntaxError:
        return code
    words = ["value", "item", "acc", "tmp", "res", "cur", "node", "total", "out", "data", "vec", "elem"]
    mapping = {name: f"{rng.choice(words)}_{index}" for index, name in enumerate(names)
               if not keyword.iskeyword(name) and not name.startswith("__")}
    return swap_statements(rename(code, mapping))
