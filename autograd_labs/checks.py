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


def visible_checks_passed(hidden_checks):
    """Say that this exercise's visible checks passed and how many hidden checks grading adds."""
    print(f"The visible checks passed. {hidden_checks} hidden checks will run when your work is graded.")
