"""Plain PyTorch/NumPy code for synthesis: no Django imports, nothing runs on import."""
