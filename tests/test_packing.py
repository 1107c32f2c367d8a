"""Packing catalogued answers: only answers that cannot change the kernel share a notebook, and a pack whose
grading looks at all unexpected is not trusted (its answers are then graded alone)."""
from __future__ import annotations

import pytest

from autograd_labs.course import REPO_ROOT
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.catalogue import RIGHT, WRONG, Answer, answers, catalogue_paths, load
from autograd_labs.testing.class_run import CANARY_PACK
from autograd_labs.testing.packing import leak, pack, trusted

CONTAINED = {
    "a function": "def f(x):\n    return x * 2",
    "a docstring, imports and a class": '"""Notes."""\nimport math\nfrom torch import nn\nclass M(nn.Module): pass',
    "grad mode switched inside a with": "def f(x):\n    with torch.set_grad_enabled(False):\n        return x * 2",
    "a decorator": "@torch.no_grad()\ndef f(x):\n    return x * 2",
    "a predicted value": "answer = (3, 'b')",
    "a predicted value worked out": "answer = sum([1, 2]) * 2 > 5\nword = 'Yes'.lower()",
}
LEAKING = {
    "grad mode switched off for good": "def f(x):\n    torch.set_grad_enabled(False)\n    return x",
    "a seed set in the function": "def f(x):\n    torch.manual_seed(0)\n    return x",
    "the default dtype changed at top level": "torch.set_default_dtype(torch.float64)",
    "a global": "def f(x):\n    global counter\n    counter = 1\n    return x",
    "a module attribute replaced": "def f(x):\n    torch.allclose = lambda *a, **k: True\n    return x",
    "a value computed by calling a model": "answer = len(list(model.parameters()))",
    "a loop at top level": "answer = {}\nfor k in 'ab':\n    answer[k] = 1",
    "warnings silenced": "import warnings\ndef f(x):\n    warnings.simplefilter('ignore')\n    return x",
}


@pytest.mark.parametrize("name", CONTAINED)
def test_a_contained_answer_does_not_leak(name):
    """Definitions, imports, literal values and managed modes cannot reach the cells after the answer."""
    assert leak(CONTAINED[name]) is None


@pytest.mark.parametrize("name", LEAKING)
def test_a_leaking_answer_is_named(name):
    """Anything that could change the kernel for the next exercise is found, with its line."""
    assert "line" in (leak(LEAKING[name]) or "")


def answer(key, grade_id, cell="def f():\n    pass", points=None, max_points=2.0):
    return Answer(key, grade_id, key, cell, points, max_points)


def test_each_pack_holds_one_answer_per_exercise_and_leaks_go_alone():
    """Every answer lands in exactly one notebook; a pack never holds two answers to one exercise."""
    answers_ = [answer("w_a_0", "a"), answer("w_a_1", "a"), answer("w_b_0", "b"),
                answer("w_b_1", "b", LEAKING["a global"]), answer("w_b_2", "b"), answer("w_c_0", "c")]
    packs = pack(answers_, "w")
    assert {student: [a.key for a in chosen] for student, chosen in packs.items()} == {
        "w_pack_0": ["w_a_0", "w_b_0", "w_c_0"], "w_pack_1": ["w_a_1", "w_b_2"], "w_b_1": ["w_b_1"]}


@pytest.mark.parametrize("kind", [WRONG, RIGHT])
def test_the_real_catalogues_pack_into_few_notebooks(kind):
    """Each catalogued answer is graded exactly once, and packing needs far fewer notebooks than answers."""
    for path in catalogue_paths(kind):
        listed = answers(REPO_ROOT, path.stem, load(path), "x")
        packs = pack(listed, "x")
        placed = [a.key for chosen in packs.values() for a in chosen]
        assert sorted(placed) == sorted(a.key for a in listed), path.stem
        assert all(len({a.grade_id for a in chosen}) == len(chosen) for chosen in packs.values()), path.stem
        assert len(packs) <= len(listed) / 2 + 3, path.stem


MAXIMA = {"a": 2.0, "b": 3.0, "c": 1.0}


def test_a_pack_that_looks_as_expected_is_trusted():
    """Wrong answers under full marks, a partial one at its points, the untouched exercise at full marks."""
    wrong = [answer("w_a_0", "a"), answer("w_b_0", "b", points=1.5, max_points=3.0)]
    assert trusted(wrong, True, {"a": 0.5, "b": 1.5, "c": 1.0}, MAXIMA, wrong=True)
    right = [answer("r_a_0", "a"), answer("r_b_0", "b", max_points=3.0)]
    assert trusted(right, True, {"a": 2.0, "b": 3.0, "c": 1.0}, MAXIMA, wrong=False)


@pytest.mark.parametrize("case", ["not graded", "untouched exercise short", "wrong answer at full marks",
                                  "partial answer off its points", "right answer short"])
def test_a_pack_that_looks_unexpected_is_not_trusted(case):
    """Any surprise sends the pack's answers to be graded alone."""
    wrong = [answer("w_a_0", "a"), answer("w_b_0", "b", points=1.5, max_points=3.0)]
    scores = {"a": 0.5, "b": 1.5, "c": 1.0}
    graded, is_wrong, chosen = True, True, wrong
    if case == "not graded":
        graded = False
    elif case == "untouched exercise short":
        scores["c"] = 0.0
    elif case == "wrong answer at full marks":
        scores["a"] = 2.0
    elif case == "partial answer off its points":
        scores["b"] = 1.0
    else:
        chosen, is_wrong, scores = [answer("r_a_0", "a")], False, {"a": 1.0, "b": 3.0, "c": 1.0}
    assert not trusted(chosen, graded, scores, MAXIMA, wrong=is_wrong)


@pytest.mark.slow
def test_an_untrusted_pack_is_graded_again_answer_by_answer(class_run):
    """The canary pack (two right answers, its kernel killed before their tests) is not trusted: each answer is
    graded again in a notebook of its own, and that verdict, full marks, is the one reported."""
    if QUICK_LAB not in class_run.canary:
        pytest.skip(f"{QUICK_LAB} is not among the labs of this run")
    verdicts = class_run.canary[QUICK_LAB]
    assert class_run.results[QUICK_LAB, CANARY_PACK].status == Status.KERNEL_DIED
    assert len(verdicts) == 2 and {(QUICK_LAB, key) for key in verdicts} <= class_run.regraded
    assert [(v.student, v.status, v.score) for v in verdicts.values()] == [
        (key, Status.GRADED, v.answer.max_points) for key, v in verdicts.items()]
