"""Checks ``medcoder serve`` runs before it starts ``bentoml serve``.

A worker that cannot build the service (no JWT secret, no model directory) does not stop BentoML:
its arbiter restarts the worker in a loop while the port stays bound and ``/readyz`` never answers.
So everything the worker would need from its environment is checked here first, in the command's
own process, and the first problem becomes one line naming what to set or fix and a non-zero exit,
before any port is bound.
"""

from __future__ import annotations

import socket
from pathlib import Path

from medcoder.errors import MedcoderError
from medcoder.serving.config import ServingConfig, load_serving_config


class StartupError(MedcoderError):
    """The service cannot start; the message is one line saying what to set or fix."""


def check_port(host: str, port: int) -> None:
    """Refuse a port something else already listens on (BentoML would fail later, less clearly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise StartupError(f"port {port} on {host} is not free ({e.strerror}); pass --port") from None


def check_auth(config: ServingConfig) -> None:
    """Build the auth settings as the worker will; a missing secret or key file is a ``StartupError``."""
    from medcoder.serving.auth import load_auth_config  # pyjwt: only needed when serving

    try:
        load_auth_config(config.auth)
    except ValueError as e:
        hint = "set it, or remove auth.jwt from the serving config (--config) to accept API keys only"
        message = str(e)
        raise StartupError(f"{message}; {hint}" if "is not set" in message else message) from None
    except OSError as e:
        raise StartupError(f"auth key file {e.filename} cannot be read: {e.strerror}") from None


def check_model(config: ServingConfig, bento_model: str | None) -> None:
    """A model directory must be configured and hold a saved model, unless a BentoML model tag is given."""
    if bento_model:
        return
    if not config.model_dir:
        raise StartupError(
            "no model directory: pass --model, or set MEDCODER_MODEL_DIR or model_dir in serving.yaml"
        )
    path = Path(config.model_dir)
    if not path.is_dir():
        raise StartupError(f"model directory {path} does not exist")
    from medcoder.models.bundle import FILES  # torch: imported only once the cheap checks pass

    missing = [f for f in FILES if not (path / f).exists()]
    if missing:
        raise StartupError(f"{path} is not a medcoder model directory: missing {', '.join(missing)}")


def preflight(
    config_path: Path | None, model_dir: Path | None, bento_model: str | None, host: str, port: int
) -> ServingConfig:
    """Every check, cheapest first; returns the config the worker will load."""
    import yaml

    try:
        config = load_serving_config(config_path)
    except (OSError, ValueError, yaml.YAMLError) as e:  # pydantic's ValidationError is a ValueError
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise StartupError(f"serving config cannot be loaded: {first}") from None
    if model_dir is not None:
        config = config.model_copy(update={"model_dir": str(model_dir)})
    check_auth(config)
    check_model(config, bento_model)
    check_port(host, port)
    return config
