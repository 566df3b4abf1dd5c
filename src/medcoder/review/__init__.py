"""Coder review: the worklist the service keeps, the review logic behind the notebook, Label Studio
interop and the learning loop (feedback export, retraining, promotion)."""
