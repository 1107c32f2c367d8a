"""Grade many catalogued answers in one notebook: which answers may share a notebook, and who is regraded alone.

A catalogue entry is one exercise's answer in the lab's full solution. Grading each in a notebook of its own
costs a whole lab per entry; a pack holds one entry for each of several exercises instead (the k-th entry of
every exercise in pack k), and each entry is judged by its own exercise's test cells. Exercises do not use each
other's solutions (each one alone earns exactly its points, which test_grading proves), so what could leak from
one answer into the next exercise is only state the answer changes for the whole kernel. Hence:

- An answer shares a pack only when nothing `leak`s from it: at top level it defines functions and classes,
  imports, and assigns values computed with no call but a few pure builtins; it never declares `global`, never
  assigns an attribute of a module, and never calls, outside a `with`, one of the functions that switch a
  kernel-wide mode (grad mode, default dtype, seeds, warning filters). Any other answer is graded alone.
- A pack is trusted only when it looks exactly as expected: graded, every exercise that kept the lab's own
  solution at full marks, every answer judged as the catalogue says. Otherwise each of its answers is graded
  again alone, and that verdict is the one reported, so a pack never makes a failure and never hides one that a
  notebook of its own would show.
"""
from __future__ import annotations

import ast

from autograd_labs.testing.catalogue import Answer

KERNEL_WIDE = frozenset({
    "set_grad_enabled", "set_default_dtype", "set_default_device", "set_default_tensor_type", "manual_seed", "seed",
    "use_deterministic_algorithms", "set_num_threads", "set_num_interop_threads", "set_printoptions",
    "set_flush_denormal", "set_anomaly_enabled", "set_detect_anomaly", "simplefilter", "filterwarnings",
})
PURE_CALLS = frozenset({
    "len", "sum", "min", "max", "abs", "round", "int", "float", "bool", "str", "tuple", "list", "dict", "set",
    "sorted", "zip", "range", "enumerate", "lower", "upper", "strip", "casefold",
})
MODULE_NAMES = frozenset({"torch", "nn", "F", "np", "math", "builtins", "sys", "os", "functional", "autograd"})


def leak(source: str) -> str | None:
    """Return why an answer cell might change the kernel for the cells after it, or None when it cannot."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "it does not parse"
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            calls = [called_name(c) for c in ast.walk(node.value) if isinstance(c, ast.Call)]
            if any(name not in PURE_CALLS for name in calls):
                return f"line {node.lineno} calls {next(n for n in calls if n not in PURE_CALLS)} at top level"
            continue
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom):
            return f"line {node.lineno} runs code at top level"
    managed = {id(item.context_expr) for node in ast.walk(tree) if isinstance(node, ast.With | ast.AsyncWith)
               for item in node.items}
    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal):
            return f"line {node.lineno} declares {' '.join(node.names)} global"
        if isinstance(node, ast.Call) and id(node) not in managed and called_name(node) in KERNEL_WIDE:
            return f"line {node.lineno} calls {called_name(node)} outside a with"
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                   if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id in MODULE_NAMES:
                return f"line {node.lineno} assigns {target.value.id}.{target.attr}"
    return None


def called_name(call: ast.Call) -> str:
    """Return the last part of a call's function name (`torch.manual_seed(0)` -> "manual_seed")."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def pack(answers: list[Answer], prefix: str) -> dict[str, list[Answer]]:
    """Return {student: answers graded in that student's notebook}: `contained` answers in packs
    f"{prefix}_pack_{k}" (the k-th contained answer of every exercise), each other answer alone under its key."""
    packs: dict[str, list[Answer]] = {}
    seen: dict[str, int] = {}
    for answer in answers:
        if leak(answer.cell):
            packs[answer.key] = [answer]
            continue
        number = seen.get(answer.grade_id, 0)
        seen[answer.grade_id] = number + 1
        packs.setdefault(f"{prefix}_pack_{number}", []).append(answer)
    return packs


def as_expected(answer: Answer, score: float, wrong: bool) -> bool:
    """Whether an answer's exercise score is what the catalogue says: its exact points when it gives them,
    else under full marks for a wrong answer and full marks for a right one."""
    if answer.points is not None:
        return abs(score - answer.points) < 1e-6
    return score < answer.max_points - 1e-6 if wrong else abs(score - answer.max_points) < 1e-6


def trusted(answers: list[Answer], graded: bool, scores: dict[str, float], maxima: dict[str, float],
            wrong: bool) -> bool:
    """Whether a pack's verdicts stand: it was graded, the exercises it left alone kept full marks, and every
    answer in it was judged as the catalogue says. `scores` and `maxima` are per exercise (grade_id)."""
    if not graded:
        return False
    answered = {a.grade_id for a in answers}
    kept = all(abs(scores.get(g, 0.0) - top) < 1e-6 for g, top in maxima.items() if g not in answered)
    return kept and all(as_expected(a, scores.get(a.grade_id, 0.0), wrong) for a in answers)
