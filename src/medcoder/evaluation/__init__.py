"""medcoder.evaluation: benchmarks (CodiEsp), test figures and model cards, routing reports.

Scores with ``medcoder.metrics``; loads models through ``medcoder.models.bundle``."""
