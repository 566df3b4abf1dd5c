"""CDI query drafts from documentation gaps, in the non-leading multiple-choice format.

Gaps found: an unspecified diagnosis whose more specific siblings differ along an axis the note
does not settle (laterality, acuity, stage, episode, type), and a BMI (Z68) without a weight
diagnosis. Each query shows its evidence, lists the tabular options plus "other" and
"clinically undetermined", and recommends none of them.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, ConfigDict

from medcoder.rules.codes import parse_icd_range
from medcoder.rules.encounter import Encounter
from medcoder.rules.findings import Finding, Severity
from medcoder.rules.resources import load_data
from medcoder.terminology.coderefs import normalize_icd10cm
from medcoder.terminology.icd10cm import ICD10CM, get_icd10cm

_STOP = {
    "unspecified",
    "of",
    "the",
    "and",
    "or",
    "with",
    "without",
    "in",
    "to",
    "type",
    "site",
    "part",
    "nos",
}


class CdiQuery(BaseModel):
    """A physician query draft."""

    model_config = ConfigDict(frozen=True)

    code: str
    axis: str
    evidence: str
    evidence_span: tuple[int, int] | None
    options: tuple[str, ...]
    text: str


@functools.cache
def _conf() -> dict:
    return load_data("cdi_queries.yaml")[1]


def _evidence(desc: str, code: str, note: str | None) -> tuple[str, tuple[int, int] | None]:
    """The note sentence naming the condition (longest run of the title's key words), else the coded title."""
    words = [w for w in re.findall(r"[a-z]+", desc.lower()) if w not in _STOP and len(w) > 2]
    if note and words:
        for n in range(min(len(words), 4), 0, -1):
            for i in range(len(words) - n + 1):
                m = re.search(
                    r"\b" + r"\W+(?:\w+\W+){0,2}?".join(map(re.escape, words[i : i + n])) + r"\b", note, re.I
                )
                if m:
                    return note[m.start() : m.end()], (m.start(), m.end())
    return f"{code} {desc}", None


def _axis(icd: ICD10CM, code: str, siblings: list[str]) -> str | None:
    own = icd.description(code).lower()
    texts = [icd.description(s).lower() for s in siblings]
    for axis, pats in _conf()["axes"].items():
        for p in pats:
            if not re.search(p, own) and any(re.search(p, t) for t in texts):
                return axis
    return None


def _title(icd: ICD10CM, code: str, seventh: str) -> str | None:
    """The sibling's title, with the same 7th character when the original code had one."""
    if seventh:
        base = code.replace(".", "")
        full = normalize_icd10cm(base.ljust(6, "X") + seventh)
        if not icd.is_valid(full):
            return None
        code = full
    return re.sub(r"\s+", " ", icd.description(code))


def _options(extra: list[str]) -> tuple[str, ...]:
    c = _conf()
    return tuple(extra[: c["max_options"]]) + (c["other_option"], c["undetermined_option"])


def unspecified_query(icd: ICD10CM, code: str, note: str | None) -> CdiQuery | None:
    """A query when ``code`` is unspecified and its siblings are more specific along some axis."""
    desc = icd.description(code)
    if "unspecified" not in desc.lower():
        return None
    # A code with a 7th character is compared through its 6-character stem (S72.009A -> S72.009),
    # so the options are its specific siblings with the same 7th character, not other episodes.
    seventh = ""
    stem = code
    if len(code.replace(".", "")) == 7 and icd.seventh_characters(code):
        seventh, stem = code[-1], code[:-1].rstrip("X").rstrip(".")
        if not icd.is_valid(stem) or "unspecified" not in icd.description(stem).lower():
            return None
    parent = icd.ancestors(stem)[0]
    siblings = [s for s in icd.children(parent) if s != stem]
    siblings = [s for s in siblings if "unspecified" not in icd.description(s).lower()] or siblings
    axis = _axis(icd, stem, siblings)
    if axis is None:
        return None
    evidence, span = _evidence(desc, code, note)
    titles = [_title(icd, s, seventh) for s in siblings]
    opts = _options([t for t in titles if t and not t.lower().startswith("other")])
    text = _conf()["template"].format(axis=axis, evidence=evidence, options="; ".join(opts))
    return CdiQuery(code=code, axis=axis, evidence=evidence, evidence_span=span, options=opts, text=text)


def bmi_query(icd: ICD10CM, codes: list[str], note: str | None) -> CdiQuery | None:
    """A query for a BMI code reported without a weight diagnosis (Guideline I.B.14)."""
    body = load_data("icd10cm_conventions.yaml")[1]["bmi"]
    bmi = parse_icd_range(body["bmi_range"])
    weight = [parse_icd_range(r) for r in body["weight_diagnoses"]]
    bmis = [c for c in codes if bmi.contains(c)]
    if not bmis or any(r.contains(c) for r in weight for c in codes):
        return None
    conf = _conf()["bmi"]
    evidence, span = icd.description(bmis[0]), None
    if note:
        m = re.search(r"\bBMI\b[^.\n]{0,20}?\d{2}(\.\d)?", note, re.I)
        if m:
            evidence, span = m.group(), (m.start(), m.end())
    opts = _options(
        [icd.description(c) for c in conf["option_codes"] if icd.is_valid(c)] + conf["option_text"]
    )
    text = conf["template"].format(evidence=evidence, code=bmis[0], options="; ".join(opts))
    return CdiQuery(
        code=bmis[0], axis="weight diagnosis", evidence=evidence, evidence_span=span, options=opts, text=text
    )


def cdi_queries(encounter: Encounter, icd: ICD10CM | None = None) -> list[CdiQuery]:
    """All query drafts for the encounter's valid, billable diagnoses."""
    icd = icd or get_icd10cm()
    codes = []
    for d in encounter.diagnoses():
        try:
            c = normalize_icd10cm(d.code)
        except ValueError:
            continue
        if icd.is_valid(c) and icd.is_billable(c):
            codes.append(c)
    out = [q for c in dict.fromkeys(codes) if (q := unspecified_query(icd, c, encounter.note_text))]
    if q := bmi_query(icd, codes, encounter.note_text):
        out.append(q)
    return out


def check_cdi(encounter: Encounter, icd: ICD10CM | None = None) -> list[Finding]:
    """Each query draft as an info finding (the draft text is in ``details['query']``)."""
    meta = load_data("cdi_queries.yaml")[0]
    return [
        Finding(
            rule_id=f"CDI.QUERY.{q.axis.upper().replace(' ', '_')}",
            severity=Severity.INFO,
            codes=(q.code,),
            message=f"{q.code}: documentation does not specify the {q.axis}; a query draft is attached.",
            suggested_fix="Send the query to the provider; code from the documented answer.",
            source=meta.source,
            version=meta.version,
            details={"query": q.model_dump(mode="json")},
        )
        for q in cdi_queries(encounter, icd)
    ]
