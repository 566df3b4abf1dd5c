"""medcoder: automated medical coding with evidence, rules and routing."""

__version__ = "0.1.0"
