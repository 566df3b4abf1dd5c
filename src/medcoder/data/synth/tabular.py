"""ICD-10-CM tabular facts the synthetic corpus uses: surface forms and sex/age limits of a code."""

from __future__ import annotations

import re
from types import ModuleType

from medcoder.data.records import Sex


def icd_module() -> ModuleType:
    """simple_icd_10_cm, imported on first use."""
    import simple_icd_10_cm as icd  # imported lazily: it parses the tabular XML (about 1.5 s)

    return icd


_PAREN = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_ENCOUNTER = re.compile(r",\s*(initial|subsequent) encounter.*$|,\s*sequela$", re.IGNORECASE)
_SIDES = ("left", "right", "bilateral")


def _clean_term(term: str) -> str | None:
    """Turn a tabular description or inclusion term into a phrase a clinician might write."""
    t = _PAREN.sub("", term)
    t = _ENCOUNTER.sub("", t)
    t = re.sub(r"\s+NOS\b", "", t)
    t = re.sub(r"^Unspecified\s+", "", t)
    t = re.sub(r",\s*unspecified\b.*$", "", t)
    t = re.sub(r"\s+", " ", t).strip(" ,;")
    if not t or len(t) > 90 or t.lower().startswith(("other ", "encounter for")):
        return None
    if len(t) > 1 and not t[1].isupper():
        t = t[0].lower() + t[1:]
    return t


def tabular_synonyms(code: str) -> tuple[str, ...]:
    """(description, cleaned surface forms from the description and inclusion terms) of a code."""
    icd = icd_module()
    desc = icd.get_description(code)
    terms = [desc, *icd.get_inclusion_term(code)]
    if icd.is_category(code):  # e.g. I10: its inclusion terms sit on the category
        terms.extend(icd.get_includes(code))
    lateral = [s for s in _SIDES if s in desc.lower()]
    out: list[str] = []
    for term in terms:
        cleaned = _clean_term(term)
        if cleaned and cleaned not in out and all(s in cleaned.lower() for s in lateral):
            out.append(cleaned)
    return (desc, *out)


def infer_demographics(code: str) -> tuple[Sex | None, tuple[int, int]]:
    """Sex and age limits that the code itself implies (pregnancy, prostate, newborn, ...)."""
    c = code.replace(".", "")
    female = (
        c[0] == "O"
        or c[:3]
        in {
            "Z32",
            "Z33",
            "Z34",
            "Z36",
            "Z37",
            "Z39",
            "Z3A",
            "C53",
            "C54",
            "C56",
            "E28",
            "N83",
            "N92",
            "N94",
            "N95",
        }
        or "N70" <= c[:3] <= "N98"
        or "C51" <= c[:3] <= "C58"
        or c.startswith(("Z014", "Z124", "Z301", "Z304"))
    )
    male = "N40" <= c[:3] <= "N53" or c[:3] in {"C61", "C62", "C63"} or c.startswith("R972")
    sex = Sex.FEMALE if female else Sex.MALE if male else None
    age = (0, 110)
    if c[0] == "O" or c[:3] in {"Z33", "Z34", "Z3A"}:
        age = (12, 55)
    elif c[0] == "P":
        age = (0, 0)
    elif c.startswith(("Z0012", "Z0011")):
        age = (0, 17)
    elif c.startswith("Z000"):
        age = (18, 110)
    elif c.startswith("Z685"):
        age = (2, 19)
    elif c[:3] == "Z68":
        age = (20, 110)
    return sex, age
