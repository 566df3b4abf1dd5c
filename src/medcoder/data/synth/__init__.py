"""Synthetic corpus."""
