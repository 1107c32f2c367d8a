"""The checks every lab's test cells use: credit per check, work by hand without autograd, counted backward passes."""
from __future__ import annotations

import pytest
import torch

from autograd_labs import checks as shared
from autograd_labs.sync_checks import announced, checks_line


def one_cell(points, visible, hidden, outcomes):
    """Run a test cell's checks: each outcome True passes, a string fails with that message."""
    checks = shared.Checks(points=points, visible=visible, hidden=hidden)
    for number, outcome in enumerate(outcomes):
        with checks(f"check {number}"):
            assert outcome is True, outcome
    return checks.result()


def test_graded_cell_earns_its_share_of_the_points(capsys):
    """When graded (hidden checks ran), the cell's value is the share of its checks that passed."""
    assert one_cell(3, 1, 2, [True, True, True]) == 3
    assert one_cell(3, 1, 2, [True, "the sign is wrong", True]) == 2
    assert one_cell(2, 2, 1, [True, "no", "no"]) == 0.67
    assert "1 of 3 checks passed" in capsys.readouterr().out


def test_a_graded_cell_where_nothing_passed_fails():
    """No check passing is an error, not a 0 (which nbgrader 0.9 would turn into full credit)."""
    with pytest.raises(AssertionError, match="None of the 2 checks passed"):
        one_cell(2, 1, 1, ["the shape is wrong", "the sign is wrong"])


def test_the_students_copy_fails_on_any_failed_visible_check(capsys):
    """In the release notebook (no hidden checks ran) a failed visible check raises and names what failed."""
    with pytest.raises(AssertionError, match=r"(?s)1 of 2 visible checks passed.*check 1: the sign is wrong"):
        one_cell(2, 2, 3, [True, "the sign is wrong"])
    assert one_cell(2, 2, 1, [True, True]) is None
    assert "All 2 visible checks passed. 1 more check runs when your work is graded." in capsys.readouterr().out


def test_one_visible_check_is_spoken_of_in_the_singular(capsys):
    """A cell with one visible check says 'The visible check passed' (or failed), never 'All 1 visible checks'."""
    with pytest.raises(AssertionError, match=r"^The visible check failed\. Failed:\n  - check 0: the sign is wrong"):
        one_cell(1, 1, 2, ["the sign is wrong"])
    assert one_cell(1, 1, 2, [True]) is None
    assert "The visible check passed. 2 more checks run when your work is graded." in capsys.readouterr().out


def test_a_crash_fails_only_its_own_check():
    """Any exception inside a check fails that check; an interrupt still stops the cell."""
    checks = shared.Checks(points=2, visible=1, hidden=1)
    with checks("crashes"):
        raise TypeError("unsupported operand")
    with checks("passes"):
        pass
    assert checks.failures == [("crashes", "TypeError: unsupported operand")]
    assert checks.result() == 1
    with pytest.raises(KeyboardInterrupt), checks("interrupted"):
        raise KeyboardInterrupt


def power_by_hand(a):
    return 9 * a**8


def with_backward(a):
    with torch.enable_grad():
        a = a.clone().requires_grad_()
        (a**9).sum().backward()
    return a.grad


def with_attribute(a):
    with torch.enable_grad():
        a = a.clone()
        a.requires_grad = True
        (a**9).sum().backward()
    return a.grad


def with_factory(a):
    with torch.enable_grad():
        a = torch.tensor(a.tolist(), requires_grad=True)
        return torch.autograd.grad((a**9).sum(), a)[0]


CHEATS = {
    "backward under enable_grad": with_backward,
    "requires_grad set as an attribute": with_attribute,
    "a factory with requires_grad": with_factory,
    "torch.func.grad": lambda a: torch.func.grad(lambda t: (t**9).sum())(a),
    "torch.func.jacrev": lambda a: torch.func.jacrev(lambda t: t**9)(a).diagonal(),
    "torch.func.jacfwd": lambda a: torch.func.jacfwd(lambda t: t**9)(a).diagonal(),
    "torch.func.vjp": lambda a: torch.func.vjp(lambda t: t**9, a)[1](torch.ones_like(a))[0],
    "torch.func.jvp": lambda a: torch.func.jvp(lambda t: t**9, (a,), (torch.ones_like(a),))[1],
    "torch.func.hessian": lambda a: torch.func.hessian(lambda t: (t**10).sum() / 10)(a).diagonal() * 0 + 9 * a**8,
    "autograd.functional.jacobian": lambda a: torch.autograd.functional.jacobian(lambda t: t**9, a).diagonal(),
}


@pytest.mark.parametrize("route", CHEATS)
def test_every_route_to_autograd_is_refused(route):
    """Work meant by hand that reaches autograd by any route fails, saying so in plain words."""
    a = torch.tensor([0.5, -1.5])
    with pytest.raises(AssertionError, match="should be worked out by hand, but it"):
        shared.without_autograd(CHEATS[route], a)


def test_work_by_hand_passes_and_leaves_autograd_usable():
    """An honest closed form passes, gets inputs that do not require grad, and autograd works again afterwards."""
    a = torch.tensor([0.5, -1.5], requires_grad=True)
    result = shared.without_autograd(power_by_hand, a)
    assert torch.equal(result, 9 * a.detach() ** 8) and not result.requires_grad
    (a**2).sum().backward()
    assert torch.equal(a.grad, 2 * a.detach())


def test_backward_passes_are_counted():
    """`backward()` and `torch.autograd.grad` each count as one pass; the forward pass counts nothing."""
    x = torch.randn(3, requires_grad=True)
    with shared.BackwardPasses() as passes:
        y = (x * 2).sum()
        assert passes.count == 0
        y.backward(retain_graph=True)
        torch.autograd.grad(y, x)
    assert passes.count == 2


def test_sync_writes_the_points_and_counts():
    """The `checks = Checks(...)` line gets the cell's points and its visible and hidden check counts."""
    cell = ('"""Check."""\nchecks = Checks(points=0, visible=0, hidden=0)\nwith checks("a"):\n    pass\n'
            'x = 1\n### BEGIN HIDDEN TESTS\nwith checks("b"):\n    pass\nwith checks("c"):\n    pass\n'
            '### END HIDDEN TESTS\nchecks.result()\n')
    assert checks_line(cell, 1.5) == "checks = Checks(points=1.5, visible=1, hidden=2)"
    assert "checks = Checks(points=1.5, visible=1, hidden=2)\n" in announced(cell, 1.5)
    assert announced(announced(cell, 1.5), 1.5) == announced(cell, 1.5)
