"""Where a model runs: the device asked for, else CUDA when present, else the CPU."""

import torch


def pick_device(device: "str | torch.device | None" = None) -> torch.device:
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
