"""Stand-in pretrained weights for machines without a network (tests, benchmarks, CI).

Labs 1 and 7 load ResNet18's ImageNet weights with the real torchvision call. torchvision looks in the torch
hub cache (TORCH_HOME) before it downloads, so a checkpoint saved there under the file name it expects makes that
call work offline. The stand-in is a seeded random initialisation: same shapes, no ImageNet knowledge.
"""
from __future__ import annotations

from pathlib import Path


def seed_torch_home(torch_home: Path) -> Path:
    """Save stand-in ResNet18 weights into the torch hub cache at torch_home and return the checkpoint's path."""
    import torch
    from torchvision.models import ResNet18_Weights, resnet18

    checkpoint = Path(torch_home) / "hub" / "checkpoints" / Path(ResNet18_Weights.DEFAULT.url).name
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(resnet18(weights=None).state_dict(), checkpoint)
    return checkpoint
