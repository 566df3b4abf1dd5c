"""The procedure step: CPT/HCPCS lines, units and modifiers from short notes, against hand-coded values.

Every expected value below was worked out by hand from CPT/HCPCS rules (units = dose / billing
unit, rounded up; wound lengths summed per repair type and site group), not from the code's output.
"""

from __future__ import annotations

import copy

import pytest

from medcoder.coding.procedure_drugs import billing_units
from medcoder.coding.procedure_lexicon import parse_lexicon, procedure_lexicon
from medcoder.coding.procedures import NoteFacts, em_modifiers, find_procedures, procedure_suggestions
from medcoder.data.records import Setting
from medcoder.errors import InputFormatError
from medcoder.paths import shared_data_dir
from medcoder.rules.resources import load_data

OFFICE = NoteFacts(Setting.OUTPATIENT, "office_visit")
ED = NoteFacts(Setting.EMERGENCY, "ed")


def lines(text: str, facts: NoteFacts = OFFICE) -> dict[str, tuple[float, set[str]]]:
    return {ln.code: (ln.units, set(ln.modifiers)) for ln in find_procedures(text, facts)}


def test_ketorolac_im_is_two_units_plus_the_injection() -> None:
    assert lines("Ketorolac 30 mg IM given in the office today for back pain.") == {
        "J1885": (2.0, set()),  # 30 mg / 15 mg per unit
        "96372": (1.0, set()),
    }


@pytest.mark.parametrize(
    ("text", "code", "units"),
    [
        ("Depo-Provera (medroxyprogesterone acetate) 150 mg IM administered today.", "J1050", 150.0),
        ("Ceftriaxone 1 g IM given in clinic today.", "J0696", 4.0),  # 1000 / 250
        ("Dexamethasone sodium phosphate 10 mg IM given today.", "J1100", 10.0),
        ("Ondansetron 4 mg IV push given today.", "J2405", 4.0),
        ("Depo-Medrol 40 mg IM given today.", "J1010", 40.0),  # 1 mg units since J1030 was terminated
        ("Toradol 31 mg IM given today.", "J1885", 3.0),  # a partial unit rounds up
    ],
)
def test_j_code_units_from_the_documented_dose(text: str, code: str, units: float) -> None:
    assert lines(text)[code][0] == units


def test_billing_units_round_up() -> None:
    assert (billing_units(30, 15), billing_units(31, 15), billing_units(4, 1), billing_units(5, 10)) == (
        2,
        3,
        4,
        1,
    )


def test_iv_push_is_96374_and_im_is_96372() -> None:
    assert "96374" in lines("Ondansetron 4 mg IV given today.")
    assert "96372" not in lines("Ondansetron 4 mg IV given today.")


def test_oral_drug_has_no_j_code() -> None:
    assert lines("Dexamethasone 16 mg PO given in office.") == {}


def test_drugs_in_the_ed_go_on_the_facility_claim() -> None:
    assert lines("Ketorolac 30 mg IM given.", ED) == {}


@pytest.mark.parametrize(
    "text",
    [
        "She declined the flu shot.",
        "Will schedule spirometry next month.",
        "ECG last year was normal.",
        "Influenza vaccine deferred today because of acute illness.",
        "Pneumococcal vaccine next visit.",
        "No ECG was performed.",
    ],
)
def test_services_not_done_at_this_encounter_are_not_coded(text: str) -> None:
    assert lines(text) == {}


def test_simple_laceration_lengths_are_summed() -> None:
    text = "PROCEDURE: Laceration repair: 2.5 cm and 3 cm lacerations of the right forearm closed with simple sutures."
    assert set(lines(text)) == {"12002"}  # 5.5 cm, simple, extremity: 2.6-7.5 cm


def test_layered_closure_is_intermediate_repair() -> None:
    text = "PROCEDURE: 4 cm laceration of the left thigh repaired with layered closure."
    assert set(lines(text)) == {"12032"}  # intermediate, extremity, 2.6-7.5 cm


def test_face_laceration_uses_the_face_table() -> None:
    assert set(lines("PROCEDURE: 3 cm chin laceration repaired with simple interrupted sutures.")) == {
        "12013"
    }


def test_left_knee_injection_with_triamcinolone() -> None:
    text = (
        "PROCEDURE\nLeft knee intra-articular injection: the left knee was prepped, 40 mg triamcinolone "
        "acetonide injected without ultrasound guidance. Tolerated well."
    )
    assert lines(text) == {"20610": (1.0, {"LT"}), "J3301": (4.0, set())}  # 40 / 10 mg; no 96372


def test_bilateral_elbow_injection_is_20605_50() -> None:
    text = "PROCEDURE: Both elbows injected with 20 mg triamcinolone each; tolerated well."
    assert lines(text)["20605"] == (1.0, {"50"})


def test_ultrasound_guided_shoulder_injection_is_20611() -> None:
    assert "20611" in lines("PROCEDURE: Right shoulder injection under ultrasound guidance performed today.")


def test_ecg_in_office_and_in_the_ed() -> None:
    assert set(lines("ECG performed in clinic today: sinus rhythm.")) == {"93000"}
    assert set(lines("ECG at 0 and 3 hours, interpreted by me: sinus rhythm.", ED)) == {"93010"}


def test_clia_waived_tests_get_qw() -> None:
    assert lines("Rapid strep test in office today: positive.") == {"87880": (1.0, {"QW"})}
    assert lines("POC HbA1c 8.9% today.") == {"83036": (1.0, {"QW"})}


def test_rapid_strep_negative_is_still_a_test_done() -> None:
    assert "87880" in lines("Rapid strep test done in the office today: negative.")


def test_medicare_flu_vaccine_uses_g0008() -> None:
    text = "68-year-old man. Influenza vaccine: Fluzone High-Dose 0.5 mL IM, left deltoid, administered by the nurse."
    assert set(lines(text)) == {"90662", "G0008"}


def test_two_vaccines_under_65_are_90471_and_90472() -> None:
    text = "40-year-old woman. Tdap 0.5 mL IM and Shingrix 0.5 mL IM given today."
    assert lines(text) == {
        "90715": (1.0, set()),
        "90750": (1.0, set()),
        "90471": (1.0, set()),
        "90472": (1.0, set()),
    }


def test_cessation_counselling_by_minutes() -> None:
    assert set(lines("Smoking cessation counseling provided today for 6 minutes.")) == {"99406"}
    assert set(lines("Smoking cessation counseling provided today for 15 minutes.")) == {"99407"}
    assert lines("Smoking cessation counseling provided today for 2 minutes.") == {}


def test_snare_and_forceps_on_different_polyps_get_xs() -> None:
    text = (
        "PROCEDURE: Colonoscopy. A 9 mm polyp was removed en bloc with a cold snare. "
        "A 3 mm polyp was removed with cold biopsy forceps."
    )
    got = lines(text, NoteFacts(Setting.OUTPATIENT, "procedure"))
    assert got == {"45385": (1.0, set()), "45380": (1.0, {"XS"})}


def test_discharge_summaries_yield_no_office_services() -> None:
    assert (
        lines("ECG performed today showed sinus rhythm.", NoteFacts(Setting.INPATIENT, "discharge_summary"))
        == {}
    )


def test_modifier_25_only_when_an_e_m_is_billed() -> None:
    found = find_procedures(
        "PROCEDURE: Left knee injection with 40 mg triamcinolone performed today.", OFFICE
    )
    assert set(em_modifiers("99214", found)) == {"25"}
    assert em_modifiers(None, found) == {}
    labs = find_procedures("POC HbA1c 7.1% today.", OFFICE)
    assert em_modifiers("99214", labs) == {}  # a lab test needs no 25


def test_suggestions_quote_the_note_with_units_and_modifiers() -> None:
    text = "PROCEDURE: Left knee intra-articular injection with 40 mg triamcinolone performed today."
    sugg = {s.code: s for s in procedure_suggestions(text, find_procedures(text, OFFICE))}
    assert (
        sugg["20610"].system == "CPT"
        and sugg["20610"].modifiers == ["LT"]
        and "LT" in sugg["20610"].modifier_reasons
    )
    assert sugg["J3301"].system == "HCPCS" and sugg["J3301"].units == 4.0
    for s in sugg.values():
        assert s.evidence and all(text[e.start : e.end] == e.text for e in s.evidence)


def test_a_bad_pattern_names_the_entry() -> None:
    meta, body = load_data("procedures.yaml")
    broken = copy.deepcopy(body)
    broken["services"][0]["patterns"] = ["(unclosed"]
    with pytest.raises(InputFormatError, match=r"services\[0\] \(93000\)"):
        parse_lexicon(meta, broken)


def test_every_j_code_unit_matches_the_hcpcs_descriptor() -> None:
    path = shared_data_dir() / "hcpcs" / "HCPC2025_OCT_ANWEB.csv.gz"
    if not path.exists():
        pytest.skip("shared HCPCS release not available")
    from medcoder.terminology.hcpcs import load_hcpcs

    release = load_hcpcs(path)
    combined = {"J0702": "3 mg and betamethasone sodium phosphate 3 mg"}  # 3 mg + 3 mg = 6 mg per unit
    for d in procedure_lexicon().drugs:
        rec = release.get(d.code)
        assert rec.termination_date is None, f"{d.code} is terminated"
        desc = rec.long_description.lower()
        per = f"{d.per:g}"
        expected = {
            "mg": [f"{per} mg", f"{d.per * 1000:g} mcg"],
            "units": [f"{per} units"],
            "mL": [f"{per} ml"],
            "dose": ["full dose"],
        }[d.unit] + ([combined[d.code]] if d.code in combined else [])
        assert any(e in desc for e in expected), f"{d.code}: {desc!r} does not say {expected}"


def test_benign_lesion_excision_and_shave_by_site_and_diameter() -> None:
    text = (
        "PROCEDURE: Excision of left cheek skin neoplasm 0.5 x 1 cm. "
        "Excision of a 1.5 cm benign lesion of the back. Shave excision of the right nasal ala 0.4 cm nevus."
    )
    got = lines(text, NoteFacts(Setting.OUTPATIENT, "procedure"))
    assert got == {
        "11441": (1.0, set()),
        "11402": (1.0, set()),
        "11310": (1.0, set()),
    }  # face 1.0, trunk 1.5, face 0.4


def test_a_vaccine_named_by_product_alone_is_found() -> None:
    assert set(lines("40-year-old man. Tdap 0.5 mL IM administered today, left deltoid.")) == {
        "90715",
        "90471",
    }


def test_a_vaccine_given_in_an_earlier_month_is_not_coded() -> None:
    assert lines("Flu vaccine given last October.") == {}
