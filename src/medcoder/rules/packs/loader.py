"""Load and validate packs; a bad pack raises InputFormatError naming the file, the rule and the problem."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from medcoder.errors import InputFormatError
from medcoder.rules.packs.schema import Pack

PACKAGED_DIR = "packs"


def _rule_id(raw: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the rule a validation error points into (``coverage``/``rules`` list item)."""
    if len(loc) >= 2 and loc[0] in ("coverage", "rules") and isinstance(loc[1], int):
        try:
            item = raw[loc[0]][loc[1]]
        except (KeyError, IndexError, TypeError):
            return None
        return str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"{loc[0]}[{loc[1]}]"
    return None


def parse_pack(text: str, where: str) -> Pack:
    """Parse and validate YAML text; ``where`` names the file in error messages."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise InputFormatError(
            f"invalid YAML: {e}", path=where, line=None if line is None else line + 1
        ) from e
    if not isinstance(raw, dict):
        raise InputFormatError(
            "a pack must be a YAML mapping with 'pack' and 'coverage' or 'rules'", path=where
        )
    try:
        return Pack.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        rid = _rule_id(raw, loc)
        field = ".".join(str(x) for x in loc) or "pack"
        msg = err["msg"].removeprefix("Value error, ")
        prefix = f"rule {rid}: " if rid else ""
        raise InputFormatError(f"{prefix}{field}: {msg}", path=where) from e


def load_pack(path: str | Path) -> Pack:
    """Read one pack file from disk."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise InputFormatError("pack file not found", path=p) from e
    return parse_pack(text, str(p))


def packaged_packs() -> list[str]:
    """Names of the packs shipped in ``medcoder/rules/data/packs``."""
    folder = resources.files("medcoder.rules") / "data" / PACKAGED_DIR
    return sorted(f.name for f in folder.iterdir() if f.name.endswith((".yaml", ".yml")))


def load_packaged_pack(name: str) -> Pack:
    """Load a pack shipped with medcoder by file name (e.g. ``example_lcd_vitamin_d.yaml``)."""
    ref = resources.files("medcoder.rules") / "data" / PACKAGED_DIR / name
    return parse_pack(ref.read_text(encoding="utf-8"), f"medcoder/rules/data/{PACKAGED_DIR}/{name}")
