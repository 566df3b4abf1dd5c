"""medcoder.models: label-wise attention networks (LAAT, PLM-ICD), tokenizers, baselines, and
``bundle.ModelBundle``, the one owner of a trained model directory."""
