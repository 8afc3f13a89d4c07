"""The machine-learning layer: datasets, training, evaluation by site, the model registry."""
