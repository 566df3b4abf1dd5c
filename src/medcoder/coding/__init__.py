"""medcoder.coding: the coding use case as plain Python, the one way to code a note.

``CodingPipeline.from_model_dir(dir).code(document, context) -> CodingResult`` runs intake text ->
model scores (one batched forward) -> calibration and decision thresholds -> evidence spans ->
sections and ConText assertions -> rules (ICD-10-CM conventions, NCCI, payer packs) -> E/M ->
HCC/CDI -> routing. The service (``medcoder.serving``), the ``medcoder code`` CLI, batch jobs and
notebooks all call it; serving only maps HTTP requests to ``Document`` + ``EncounterContext`` and
the ``CodingResult`` back to a response.

Modules: ``context`` (EncounterContext, text clean-up, plain note -> Document), ``config``
(PipelineConfig), ``result`` (the result records), ``scoring``, ``assertions``, ``rules_step``,
``routing_step``, ``pipeline``, ``render`` (terminal tables), ``cli``.
"""
