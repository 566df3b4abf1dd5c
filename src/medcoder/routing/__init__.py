"""medcoder.routing: calibration, router, routing policy and its finite-sample guarantee.

Pure functions and small models over scores that are handed in; nothing here loads a model
directory (``medcoder.models.bundle`` owns those files, ``medcoder.training.calibrate`` fits these
parts on a model, ``medcoder.coding.routing_step`` uses them to route a chart).
"""
