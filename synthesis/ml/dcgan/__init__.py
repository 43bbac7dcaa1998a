"""Conditional DCGAN for small dermatology data sets (plain PyTorch, nothing runs on import).

Entry points: `config.GanConfig`, `training.train_gan`, `generation.generate` /
`save` / `load` / `load_trained`, `baseline.train_baseline`, `evaluation.evaluate`.
"""
