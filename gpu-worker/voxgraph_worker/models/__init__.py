"""Our own torch modules of reference architectures, built so that published checkpoints load."""
