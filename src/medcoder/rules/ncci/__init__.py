"""NCCI edits: procedure-to-procedure (PTP), medically unlikely edits (MUE) and add-on codes (AOC).

Loaders read CMS's published file layouts (:mod:`.loaders`), a quarter store keeps them as
Parquet (:mod:`.store`), and :mod:`.checks` applies them to an encounter on its date of service.
"""

from medcoder.rules.ncci.checks import check_ncci
from medcoder.rules.ncci.records import AocEdit, MueEdit, NcciTables, PtpEdit, PtpIndex

__all__ = ["AocEdit", "MueEdit", "NcciTables", "PtpEdit", "PtpIndex", "check_ncci"]
