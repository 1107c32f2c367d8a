"""Tamper detection: student code that rebinds what the tests rely on earns nothing from it and is flagged.

Two nets. Before execution, `scan` reads the cells a student may edit and reports code that rebinds the
comparison functions, torch.Tensor's methods, builtins, the lab's own checkers or IPython's input
transformers. While executing, the grader installs a guard in the fresh kernel (GUARD) before any student code
runs, tells it to protect each function a locked cell defines (PROTECT), and before each test cell calls
RESTORE, which puts back every original it finds replaced and names it, so the tests always run against the
real functions. A student who reads this file can still hide from the guard; the scan, the flag and a human
reviewer are the backstop, not a proof.
"""
from __future__ import annotations

import ast
from pathlib import Path

from autograd_labs.exercises import defined_names, nbgrader_meta

GUARD_NAME = "__autograd_labs_guard__"
# Attributes the checks and hidden tests compare with, as (module expression, attribute).
WATCHED = [("torch", a) for a in ("allclose", "equal", "isclose", "is_tensor", "all", "any", "abs", "isfinite")] + [
    ("torch.Tensor", a) for a in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
                                  "__abs__", "__sub__", "allclose", "equal", "item", "tolist", "all", "any", "abs",
                                  "max", "detach", "cpu", "flatten", "expand_as", "clamp_min")] + [
    ("torch.testing", "assert_close"), ("torch.autograd", "gradcheck"), ("torch.autograd", "gradgradcheck"),
    ("math", "isclose")]
# Builtins a test cell leans on; a student's global of the same name shadows the real one for the tests.
WATCHED_BUILTINS = ["isinstance", "issubclass", "len", "abs", "all", "any", "type", "getattr", "hasattr", "callable",
                    "float", "round", "AssertionError"]
ROOTS = {"torch", "np", "numpy", "math", "builtins", "__builtins__", "IPython"}
CONFIGURATION_ROOTS = ("torch.backends",)  # setting torch.backends.cudnn.deterministic is not tampering
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "events",
                 "register_magic_function", "run_cell", "showtraceback", "set_custom_exc"}

# Run silently in a fresh kernel before any student code: kernel_guard's source, in a namespace of its own (so
# the student's globals gain one name only), installed with what the tests rely on.
GUARD = (f"{GUARD_NAME} = (lambda namespace: (exec({Path(__file__).with_name('kernel_guard.py').read_text()!r}, "
         "namespace), "
         f"namespace['install']({WATCHED!r}, {WATCHED_BUILTINS!r}))[1])({{}})")


def protect_expression(names: list[str]) -> str:
    """Return the expression that makes the guard protect these names (functions a locked cell defined)."""
    return f"{GUARD_NAME}[0]({names!r})"


RESTORE = f"{GUARD_NAME}[1]()"


def dotted(node) -> str:
    """Return an attribute chain as text (torch.Tensor.__eq__), or "" when it is not one."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    if isinstance(node, ast.Call) and dotted(node.func) == "get_ipython":
        return ".".join(["get_ipython()", *reversed(parts)])
    return ""


def suspicious_target(node, protected: set[str], top_level: bool) -> str:
    """Return what an assignment target rebinds when that is tampering, else "".

    A plain name counts only at top level (a global): a local variable called `type` hides nothing from the tests.
    """
    if isinstance(node, ast.Name):
        if node.id.startswith("__autograd_labs") or top_level and (node.id in protected or node.id in WATCHED_BUILTINS):
            return node.id
        return ""
    if isinstance(node, ast.Subscript):
        name = dotted(node.value)
        return f"{name}[...]" if name in {"sys.modules", "__builtins__"} else ""
    name = dotted(node)
    if not name:
        return ""
    root = name.split(".")[0]
    if root in ROOTS and not name.startswith(CONFIGURATION_ROOTS):
        return name
    if root == "get_ipython()" or set(name.split(".")[1:]) & IPYTHON_HOOKS:
        return name
    return ""


def as_python(source: str) -> str:
    """Return a cell as the kernel runs it: IPython's own input transformers turn magics and `!cmd` into calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def magic_bodies(tree) -> list[str]:
    """Return the code that the cell's magics run: a cell magic's body (`%%capture`), a line magic's argument."""
    bodies = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        last = node.args[-1]
        if (node.func.attr in {"run_cell_magic", "run_line_magic"} and dotted(node.func.value) == "get_ipython()"
                and isinstance(last, ast.Constant) and isinstance(last.value, str)):
            bodies.append(last.value)
    return bodies


def scan_source(source: str, protected: set[str]) -> list[str]:
    """Return, in words, what one cell's code rebinds that the tests rely on, magics' code included."""
    try:
        tree = ast.parse(as_python(source))
    except SyntaxError:  # the kernel cannot run it either
        return []
    found = [finding for body in magic_bodies(tree) for finding in scan_source(body, protected)]
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node in tree.body:
            targets = [ast.Name(id=node.name)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"setattr", "delattr"}:
            owner = dotted(node.args[0]) if node.args else ""
            if owner.split(".")[0] in ROOTS:
                found.append(f"line {node.lineno}: {node.func.id}() on {owner}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if "builtins" in modules:
                found.append(f"line {node.lineno}: imports builtins")
        elif isinstance(node, ast.Attribute) and node.attr in IPYTHON_HOOKS - {"events", "run_cell"}:
            found.append(f"line {node.lineno}: uses IPython's {node.attr}")
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            found.append(f"line {node.lineno}: uses __builtins__")
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple | ast.List) else [target]:
                what = suspicious_target(element, protected, node in tree.body)
                if what:
                    found.append(f"line {getattr(node, 'lineno', '?')}: rebinds {what}")
    return list(dict.fromkeys(found))


def scan(nb) -> list[str]:
    """Return what the cells a student may edit (solution cells, cells they added) rebind, each with its cell."""
    protected: set[str] = set()
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            protected |= set(defined_names(cell.source))
            continue
        label = meta.get("grade_id") or f"cell {index + 1}"
        found += [f"{label} {finding}" for finding in scan_source(cell.source, protected)]
    return found
