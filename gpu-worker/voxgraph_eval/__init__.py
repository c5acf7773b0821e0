"""Evaluation material made offline: speech with known word times, noise at fixed seeds and SNRs,
and the quality metrics. Shared by the engine tests (gpu-worker/tests) and bench/engines; never
imported by the worker itself."""
