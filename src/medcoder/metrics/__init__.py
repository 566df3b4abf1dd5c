"""Scoring functions on arrays and ranked lists: the ground floor every other package may use.

``multilabel``: micro/macro precision, recall, F1, P@k, R@k, MAP, AUC on ``[n_docs, n_labels]``
arrays; ``thresholds``: decision thresholds tuned for F1; ``codiesp_map``: the CodiEsp organisers'
MAP semantics. Nothing here knows about documents, models or code systems.
"""
