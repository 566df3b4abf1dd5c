"""medcoder.serving: the coding service over HTTP (BentoML), auth, micro-batching, packaging.

It maps requests to ``Document`` + ``EncounterContext`` (``intake``), calls
``medcoder.coding.CodingPipeline``, writes the audit event and returns the ``CodingResult`` as a
``CodingResponse``. No coding logic lives here.
"""
