"""Medical necessity (LCD/NCD-style coverage) and payer rule packs: YAML files validated on load."""

from medcoder.rules.packs.evaluate import check_packs
from medcoder.rules.packs.loader import load_pack, load_packaged_pack, packaged_packs
from medcoder.rules.packs.schema import Pack

__all__ = ["Pack", "check_packs", "load_pack", "load_packaged_pack", "packaged_packs"]
