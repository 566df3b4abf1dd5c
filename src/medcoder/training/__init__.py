"""medcoder.training: Lightning training of the neural coders, calibration, MLflow and Optuna.

``build_coder("laat" | "plm_icd", config)`` (``medcoder.training.coder``) returns a coder with
``fit`` / ``predict_scores``; ``train_model`` (``medcoder.training.pipeline``) trains, tunes
thresholds and writes a model directory (``medcoder.models.bundle``); ``calibrate_model``
(``medcoder.training.calibrate``) adds calibrators, router and certified policy to it. The package
itself imports nothing, so ``medcoder --help`` does not load torch.
"""
