"""Text that describes each label: the code's description plus its inclusion terms.

Label queries are built from this text, which is what lets a model score a code it never saw in
training. ICD-10-CM text comes from ``medcoder.terminology.icd10cm`` (falling back to the
``simple_icd_10_cm`` tables it wraps); other systems fall back to the bare code unless the
caller passes descriptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from medcoder.data.records import CodeSystem
from medcoder.models.base import Label

log = logging.getLogger(__name__)

DescriptionSource = Callable[[Label], str | None]


@lru_cache(maxsize=1)
def _icd10cm_source() -> DescriptionSource:
    try:
        from medcoder.terminology.icd10cm import get_icd10cm

        cm = get_icd10cm()

        def from_terminology(label: Label) -> str | None:
            code = label.code.upper()
            try:
                desc = cm.description(code)
                terms = list(cm.inclusion_terms(code) or [])
            except KeyError:  # UnknownCodeError: not in this release
                return None
            if not desc:
                return None
            return "; ".join([desc, *terms])

        from_terminology(Label(CodeSystem.ICD10CM, "I10"))  # fail early if the API differs
        return from_terminology
    except Exception as exc:  # noqa: BLE001 - optional dependency on a sibling area
        log.debug("medcoder.terminology.icd10cm unavailable (%s); using simple_icd_10_cm", exc)
    import simple_icd_10_cm as cm10

    def from_simple(label: Label) -> str | None:
        code = label.code.upper()
        if not cm10.is_valid_item(code):
            return None
        parts = [cm10.get_description(code), *cm10.get_inclusion_term(code)]
        return "; ".join(p for p in parts if p)

    return from_simple


def icd10cm_description(label: Label) -> str | None:
    """Description + inclusion terms of an ICD-10-CM code (or its nearest known parent); None otherwise."""
    if label.system != CodeSystem.ICD10CM:
        return None
    source = _icd10cm_source()
    code = label.code.upper()
    while len(code) >= 3:  # codes retired since (e.g. CodiEsp's 2018 codes) fall back to their parent
        text = source(Label(label.system, code))
        if text:
            return text
        code = code[:-1].rstrip(".")
    return None


def label_texts(labels: Sequence[Label], overrides: Mapping[str, str] | None = None) -> list[str]:
    """One description text per label: ``overrides[label.key]``, else the code set, else the code itself."""
    out = []
    missing = 0
    for lab in labels:
        text = (overrides or {}).get(lab.key) or icd10cm_description(lab)
        if not text:
            missing += 1
            text = lab.code
        out.append(text)
    if missing:
        log.info("%d of %d labels have no description; their query uses the code text", missing, len(labels))
    return out


def all_icd10cm_descriptions() -> list[str]:
    """Descriptions of every billable ICD-10-CM code (vocabulary for the corpus tokenizer)."""
    from medcoder.terminology.icd10cm import get_icd10cm

    cm = get_icd10cm()
    return [cm.description(c) for c in cm.billable_codes()]


def code_set_versions() -> dict[str, str]:
    """Release of each code set whose descriptions feed the label queries (for the model directory)."""
    try:
        from medcoder.terminology.icd10cm import get_icd10cm

        cm = get_icd10cm()
        return {"ICD-10-CM": f"{cm.version} ({cm.source})"}
    except Exception as exc:  # noqa: BLE001 - optional dependency on a sibling area
        from importlib.metadata import version

        log.debug("terminology unavailable (%s)", exc)
        return {"ICD-10-CM": f"simple-icd-10-cm {version('simple-icd-10-cm')}"}
