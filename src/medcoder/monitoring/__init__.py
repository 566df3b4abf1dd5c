"""Monitoring per model version: input and prediction drift, coder feedback and denial correlation.

Reports are Evidently 0.7 snapshots (HTML + JSON) under ``monitoring/reports/<model-version>/<window>/``.

Modules:
- ``records``: typed rows (a coded chart) shared by the other modules.
- ``profile``: numeric descriptors of a note recorded with each ``suggested`` audit event.
- ``window``: reads a model version's window of audit events in chunks.
- ``quality``: acceptance, overrides by reason, misses and per-code precision from coder feedback.
- ``denials``: denial rates and their correlation with confidence, overrides, codes and routes.
- ``report``: the Evidently report, thresholds and breaches.
"""
