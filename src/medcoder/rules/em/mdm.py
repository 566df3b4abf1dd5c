"""Medical decision making: the level of each element (problems, data, risk) and the MDM level.

The element rules follow the AMA MDM table (2021 office, 2023 for every family): problems by
number and complexity, data by the three categories, risk of patient management; MDM is the
level at least 2 of the 3 elements meet. Every level keeps the evidence that decided it.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict

from medcoder.rules.em.extract import Evidence, data_evidence, problem_evidence, risk_evidence
from medcoder.rules.em.text import lexicon_body


class ElementLevel(BaseModel):
    """One MDM element's level (0..3), its label, why, and the note spans counted."""

    model_config = ConfigDict(frozen=True)
    element: str
    level: int  # 0..3
    label: str  # e.g. "moderate", "limited"
    reason: str
    evidence: tuple[Evidence, ...] = ()


@functools.cache
def _labels() -> dict:
    return lexicon_body()["element_levels"]


def mdm_labels() -> list[str]:
    """MDM level names, index = level: straightforward, low, moderate, high."""
    return list(lexicon_body()["mdm_levels"])


def problems_level(ev: list[Evidence]) -> ElementLevel:
    """Problems: high for a threat to life/severe exacerbation; moderate for a chronic illness
    with progression, 2+ chronic illnesses, an acute illness with systemic symptoms...; low for
    1 chronic illness, an acute uncomplicated problem or 2+ minor problems; else minimal."""
    kinds = [e.kind for e in ev]
    stable_words = [e for e in ev if e.kind == "chronic_stable"]
    chronic_names = sorted({e.kind.split(":", 1)[1] for e in ev if e.kind.startswith("chronic:")})
    n_chronic = max(len(stable_words), len(chronic_names))
    minimal = [e for e in ev if e.kind == "minimal"]
    named = f" ({', '.join(n.replace('_', ' ') for n in chronic_names)})" if chronic_names else ""
    if "high" in kinds:
        lvl, why = 3, "illness posing a threat to life or bodily function / severe exacerbation"
    elif "moderate" in kinds:
        lvl, why = 2, "chronic illness with exacerbation/progression, or acute illness with systemic symptoms"
    elif n_chronic >= 2:
        lvl, why = 2, f"{n_chronic} stable chronic illnesses{named}"
    elif n_chronic == 1 or "low" in kinds:
        lvl, why = 1, f"1 stable chronic illness{named} or an acute uncomplicated illness/injury"
    elif len(minimal) >= 2:
        lvl, why = 1, f"{len(minimal)} self-limited or minor problems"
    else:
        lvl, why = 0, "self-limited or minor problem (no higher-level problem documented)"
    return ElementLevel(
        element="problems", level=lvl, label=_labels()["problems"][lvl], reason=why, evidence=tuple(ev)
    )


def data_level(ev: list[Evidence]) -> ElementLevel:
    """Data: category 1 = unique tests + external notes (+ independent historian), category 2 =
    independent interpretation, category 3 = discussion with an external physician. Extensive: 2
    of 3 categories (category 1 needing 3 items); moderate: 1 of 3; limited: 2 tests/notes or a
    historian."""
    tests = [e for e in ev if e.kind == "test"]
    ext = [e for e in ev if e.kind == "external_notes"]
    hist = any(e.kind == "historian" for e in ev)
    interp = any(e.kind == "interpretation" for e in ev)
    disc = any(e.kind == "discussion" for e in ev)
    cat1 = len(tests) + len(ext)
    cat1_mod = cat1 + (1 if hist else 0)
    cats = sum([cat1_mod >= 3, interp, disc])
    if cats >= 2:
        lvl = 3
    elif cats >= 1:
        lvl = 2
    elif cat1 >= 2 or hist:
        lvl = 1
    else:
        lvl = 0
    why = (
        f"{len(tests)} unique test(s) reviewed/ordered, {len(ext)} external note source(s), "
        f"independent historian: {'yes' if hist else 'no'}, independent interpretation: "
        f"{'yes' if interp else 'no'}, discussion with external physician: {'yes' if disc else 'no'}"
    )
    return ElementLevel(
        element="data", level=lvl, label=_labels()["data"][lvl], reason=why, evidence=tuple(ev)
    )


def risk_level(ev: list[Evidence]) -> ElementLevel:
    """Risk: the highest level of any management phrase found."""
    kinds = {e.kind for e in ev}
    lvl = 3 if "high" in kinds else 2 if "moderate" in kinds else 1 if "low" in kinds else 0
    why = {
        3: "decision regarding hospitalization or escalation / drug therapy needing intensive "
        "monitoring for toxicity / DNR or de-escalation / emergency or high-risk major surgery",
        2: "prescription drug management, SDOH limiting diagnosis/treatment, or minor surgery with "
        "risk factors / elective major surgery",
        1: "over-the-counter drugs or low-risk management",
        0: "minimal risk (no higher-risk management documented)",
    }[lvl]
    return ElementLevel(
        element="risk", level=lvl, label=_labels()["risk"][lvl], reason=why, evidence=tuple(ev)
    )


def mdm_level(levels: list[int]) -> int:
    """The MDM level met by at least 2 of the 3 elements (the second-highest element level)."""
    return sorted(levels, reverse=True)[1]


def assess_mdm(note: str) -> tuple[tuple[ElementLevel, ElementLevel, ElementLevel], int]:
    """The three element levels of a note and its MDM level (0 straightforward .. 3 high)."""
    elements = (
        problems_level(problem_evidence(note)),
        data_level(data_evidence(note)),
        risk_level(risk_evidence(note)),
    )
    return elements, mdm_level([e.level for e in elements])
