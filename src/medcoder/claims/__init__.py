"""Code-to-claim and back: X12 837P/837I export, 835 remittance ingest, denial linkage and prediction.

Modules:
- ``records``: typed claim and remittance records every other module passes around.
- ``x12``: the X12 5010 envelope (delimiters, segments, ISA/GS/ST counts and control numbers).
"""
