"""The augmentation experiment: does adding approved synthetic images help a classifier, and on
which skin types? Plain NumPy/PyTorch (no Django): statistics, the runner, pre-training, plots."""
