"""Run the code cells of notebooks as plain Python, one fresh interpreter per notebook, and time them.

Needs only Python, torch, torchvision and each lab's own imports (no Jupyter), so it runs anywhere the labs
should: used to check on a CUDA machine that the labs are device-agnostic. Seeds a torch hub cache with
stand-in ResNet18 weights (no network). Usage: python bench/run_cells.py [NOTEBOOK ...] (default: source/*/*.ipynb)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_CACHE = """
import torch, torchvision
from torchvision.models import ResNet18_Weights, resnet18
path = ResNet18_Weights.DEFAULT.url.rsplit("/", 1)[1]
torch.manual_seed(0)
torch.save(resnet18(weights=None).state_dict(), __import__("sys").argv[1] + "/hub/checkpoints/" + path)
"""
RUNNER = """
import json, sys, traceback
cells = json.load(open(sys.argv[1]))["cells"]
namespace = {"__name__": "__main__"}
for index, cell in enumerate(cells, start=1):
    if cell["cell_type"] != "code":
        continue
    source = "".join(cell["source"])
    if source.lstrip().startswith(("%", "!")):
        continue
    try:
        exec(compile(source, f"cell {index}", "exec"), namespace)
    except Exception:
        traceback.print_exc()
        sys.exit(f"cell {index} failed")
print("device:", namespace.get("device", "not set"))
"""


def main(notebooks: list[str]) -> int:
    """Run each notebook; print seconds and the device it used; return 1 if any failed."""
    paths = [Path(n).resolve() for n in notebooks] or sorted(ROOT.glob("source/*/*.ipynb"))
    failed = 0
    with tempfile.TemporaryDirectory() as torch_home:
        os.makedirs(f"{torch_home}/hub/checkpoints")
        subprocess.run([sys.executable, "-c", SEED_CACHE, torch_home], check=True)
        env = dict(os.environ, TORCH_HOME=torch_home, MPLBACKEND="Agg")
        for path in paths:
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", RUNNER, str(path)], env=env, cwd=path.parent,
                                    capture_output=True, text=True)
            seconds = time.perf_counter() - start
            device = next((line for line in result.stdout.splitlines() if line.startswith("device:")), "")
            verdict = "ok" if result.returncode == 0 else "FAILED"
            print(f"{path.name:<40} {seconds:6.1f} s  {device:<16} {verdict}", flush=True)
            if result.returncode:
                failed = 1
                print(result.stderr[-3000:])
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
