"""Monitoring per model version: input and prediction drift, coder feedback and denial correlation.

Reports are Evidently 0.7 snapshots (HTML + JSON) and a ``summary.json`` under
``monitoring/reports/<model-version>/<window>/``; thresholds in ``configs/monitoring.yaml``.

Modules:
- ``records``: typed rows (a coded chart) shared by the other modules; ``intervals``: Wilson,
  Newcombe, phi and Fisher-z intervals and the confidence buckets.
- ``profile``: numeric descriptors of a note recorded with each ``suggested`` audit event.
- ``traffic``: the ``suggested`` event of a coded chart (the service's and the simulator's).
- ``window``: reads a model version's window of audit events in chunks; the chart table.
- ``reference``: the model version's calibration/validation charts, coded and profiled.
- ``drift``: the Evidently input/prediction drift report and the code-distribution test.
- ``quality``: acceptance, overrides by reason, misses and per-code precision from coder feedback.
- ``denials``: denial rates and their correlation with confidence, overrides, codes and routes.
- ``report``: thresholds applied, breaches, saved files, workspace, the breach audit event.
- ``run``: one monitoring run (CLI, DVC stage, notebook); ``demo``: simulated traffic windows.
- ``trends``: summaries of every saved report as one table (the notebook's input).
- ``bench``: the 100,000-event benchmark.
"""
