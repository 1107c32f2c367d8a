"""Checks the labs' test cells use; `autograd-labs sync-checks` copies this file into each lab's "checks" cell.

Everything after this docstring is the cell's text: plain PyTorch, so it runs in Colab with nothing to install.
"""
import torch


def check_tensor(name, actual, expected, rtol=1e-5, atol=1e-6):
    """Raise an AssertionError that says how `actual` differs from `expected`, without showing `expected`."""
    assert isinstance(actual, torch.Tensor), f"{name} should be a torch.Tensor, not {type(actual).__name__}"
    assert actual.shape == expected.shape, (
        f"{name} has shape {tuple(actual.shape)}, which is not the shape expected here")
    assert actual.dtype == expected.dtype, f"{name} has dtype {actual.dtype}, not {expected.dtype}"
    actual, expected = actual.detach().cpu(), expected.detach().cpu()
    if torch.allclose(actual, expected, rtol=rtol, atol=atol):
        return
    if torch.allclose(actual, -expected, rtol=rtol, atol=atol):
        raise AssertionError(f"{name} has the wrong sign")
    nonzero = expected.abs() > atol
    if nonzero.any():
        ratio = actual[nonzero] / expected[nonzero]
        if torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-4):
            raise AssertionError(f"{name} is off by a constant factor of {ratio.flatten()[0].item():.4g}")
    relative_error = ((actual - expected).abs().max() / expected.abs().max().clamp_min(atol)).item()
    raise AssertionError(f"{name} is wrong: its largest error is {relative_error:.2e} relative to the expected size")


class Checks:
    """An exercise's checks, each worth an equal share of its points. Run one with `with checks("what"):`.

    A check passes when its block finishes and fails on any exception, whose message says what is wrong.
    `checks.result()`, the last line of a test cell, ends it. In your copy it raises when a visible check
    failed. When the work is graded, every check has run, and it gives the points earned; none earned raises.
    """

    def __init__(self, points, visible, hidden):
        self.points, self.visible, self.hidden = points, visible, hidden
        self.failures, self.run = [], 0

    def __call__(self, what):
        return _Check(self, what)

    def result(self):
        """End the cell: report how many checks passed, raise if they all failed (or, in your copy, any did)."""
        failed = "".join(f"\n  - {what}: {message}" for what, message in self.failures)
        passed = self.run - len(self.failures)
        if self.run <= self.visible:
            if self.failures:
                counted = (f"{passed} of {self.run} visible checks passed" if self.run > 1
                           else "The visible check failed")
                raise AssertionError(f"{counted}. Failed:{failed}")
            counted = "The visible check passed" if self.run == 1 else f"All {self.run} visible checks passed"
            more = "1 more check runs" if self.hidden == 1 else f"{self.hidden} more checks run"
            print(f"{counted}. {more} when your work is graded.")
            return None
        if passed == 0:
            raise AssertionError(f"None of the {self.run} checks passed:{failed}")
        print(f"{passed} of {self.run} checks passed." + (f" Failed:{failed}" if failed else ""))
        return round(self.points * passed / self.run, 2)


class _Check:
    def __init__(self, checks, what):
        self.checks, self.what = checks, what

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and not issubclass(kind, Exception):
            return False  # an interrupt or a timeout stops the cell
        self.checks.run += 1
        if error is not None:
            message = str(error) if isinstance(error, AssertionError) else f"{kind.__name__}: {error}"
            self.checks.failures.append((self.what, message))
        print(f"{'FAILED' if error is not None else 'passed'}: {self.what}")
        return True


AUTOGRAD_ROUTES = {
    torch.Tensor.backward: "Tensor.backward()", torch.autograd.backward: "torch.autograd.backward",
    torch.autograd.grad: "torch.autograd.grad", torch.Tensor.requires_grad_: "requires_grad_()",
    torch._make_dual: "forward-mode AD",
}


class WithoutAutograd(torch.overrides.TorchFunctionMode):
    """Inside it, every route to autograd raises: backward, autograd.grad, torch.func and functional transforms,
    and making a tensor require grad (under `enable_grad` or not). Use it to check work meant to be done by hand."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        turned_off = func is torch.Tensor.requires_grad_ and not kwargs.get(
            "requires_grad", args[1] if len(args) > 1 else True)
        if func in AUTOGRAD_ROUTES and not turned_off:
            raise AssertionError(f"this should be worked out by hand, but it used autograd ({AUTOGRAD_ROUTES[func]})")
        if kwargs.get("requires_grad"):
            raise AssertionError("this should be worked out by hand, but it made a tensor that requires grad")
        return func(*args, **kwargs)


def without_autograd(function, *args, **kwargs):
    """Call `function` with autograd unavailable and return its result; raise if it used autograd."""
    inputs = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
    with torch.no_grad(), WithoutAutograd():
        result = function(*inputs, **kwargs)
    outputs = result if isinstance(result, tuple | list) else [result]
    assert not any(isinstance(t, torch.Tensor) and t.requires_grad for t in outputs), (
        "this should be worked out by hand, but its result requires grad")
    return result


class BackwardPasses(torch.overrides.TorchFunctionMode):
    """Count the backward passes run inside it (`backward()` or `torch.autograd.grad`) in `.count`."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad):
            self.count += 1
        return func(*args, **(kwargs or {}))
