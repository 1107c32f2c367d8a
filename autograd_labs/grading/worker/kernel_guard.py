"""The tamper guard, as it runs inside a student's kernel (autograd_labs.grading.worker.tamper sends its source).

`install` is called once, before any student code, with what the tests rely on. It returns (protect, restore):
protect(names) remembers the functions a locked cell just defined; restore() puts back every watched function,
builtin, protected name and IPython input transformer that student code replaced, and returns their names.
Warnings are also sent to stdout, because nbgrader scores a test cell that wrote to stderr 0.
This module is executed in the kernel from its source; it imports only what any kernel has.
"""
from __future__ import annotations

import builtins
import math
import sys
import warnings

from IPython import get_ipython


def show_warning_on_stdout(message, category, filename, lineno, file=None, line=None):
    """Print a warning to stdout (nbgrader scores any test cell that wrote to stderr 0; a warning is no failure)."""
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


def install(watched_attributes: list[tuple[str, str]], watched_builtins: list[str]):
    """Remember the real functions and hooks now, and return (protect, restore)."""
    import torch

    ip = get_ipython()
    warnings.showwarning = show_warning_on_stdout
    owners = {"torch": torch, "torch.Tensor": torch.Tensor, "torch.testing": torch.testing,
              "torch.autograd": torch.autograd, "math": math}
    watched = [(f"{owner}.{attr}", owners[owner], attr) for owner, attr in watched_attributes]
    originals = {name: owner.__dict__.get(attr, getattr(owner, attr)) for name, owner, attr in watched}
    real_builtins = {name: getattr(builtins, name) for name in watched_builtins}
    hooks = [ip.input_transformers_cleanup, ip.input_transformers_post, ip.ast_transformers]
    hook_copies = [list(hook) for hook in hooks]
    protected = {}

    def protect(names):
        for name in names:
            if name in ip.user_ns:
                protected[name] = ip.user_ns[name]
        return []

    def restore():
        changed = []
        for name, owner, attr in watched:
            if owner.__dict__.get(attr, getattr(owner, attr, None)) is not originals[name]:
                setattr(owner, attr, originals[name])
                changed.append(name)
        for name, value in real_builtins.items():
            if getattr(builtins, name, None) is not value:
                setattr(builtins, name, value)
                changed.append("builtins." + name)
            if name in ip.user_ns and ip.user_ns[name] is not value:
                del ip.user_ns[name]
                changed.append(name + " (a global hiding the builtin)")
        for name, value in protected.items():
            if ip.user_ns.get(name) is not value:
                ip.user_ns[name] = value
                changed.append(name)
        for hook, copy in zip(hooks, hook_copies, strict=True):
            if list(hook) != copy:
                hook[:] = copy
                changed.append("IPython's input transformers")
        return changed

    return protect, restore
