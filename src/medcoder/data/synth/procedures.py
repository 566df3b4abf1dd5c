"""Procedures written up as procedure notes: indication pool, code, and the note's wording.

Code numbers only (CPT descriptors are AMA-licensed); each statement is our own wording and is the
gold evidence of the procedure code. Medicare screening colonoscopy is billed with HCPCS G0121.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from medcoder.data.records import CodeSystem
from medcoder.data.synth.catalog import CodeSpec


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure whose indication comes from one catalog pool."""

    name: str
    title: str
    pool: str
    setting: str
    sided: bool = False

    def code(self, medicare: bool) -> tuple[str, CodeSystem]:
        if self.name == "colonoscopy" and medicare:
            return "G0121", CodeSystem.HCPCS
        return _CODES[self.name], CodeSystem.CPT

    def statement(self, rng: random.Random, dx: CodeSpec) -> str:
        """The sentence naming what was done (written under PROCEDURE)."""
        side = dx.side or ""
        if self.name == "laceration":
            length = rng.choice((0.8, 1.2, 1.5, 1.8, 2.0, 2.2, 2.5))
            return f"Simple repair of a {length} cm laceration with {rng.choice(('4-0 nylon', '5-0 nylon', 'staples'))}."
        if self.name == "abscess":
            return "Incision and drainage of a simple cutaneous abscess."
        if self.name == "knee_injection":
            return f"Arthrocentesis and corticosteroid injection of the {side} knee (major joint) without ultrasound guidance."
        if self.name == "colonoscopy":
            return "Screening colonoscopy to the cecum without biopsy or polypectomy."
        if self.name == "cataract":
            return f"Extracapsular cataract extraction with intraocular lens implantation, {side} eye."
        raise ValueError(f"unknown procedure {self.name}")

    def details(self, rng: random.Random, dx: CodeSpec) -> str:
        side = dx.side or ""
        if self.name == "laceration":
            return (
                "The wound was anesthetized with 1% lidocaine, irrigated with 250 mL of normal saline and explored; "
                "no foreign body or tendon involvement. Single-layer closure with simple interrupted sutures."
            )
        if self.name == "abscess":
            return (
                "After sterile preparation and local anesthesia with 1% lidocaine, a linear incision was made and "
                f"about {rng.randint(2, 8)} mL of purulent material was expressed. Loculations were broken up and the "
                "cavity was packed with iodoform gauze."
            )
        if self.name == "knee_injection":
            return (
                f"The {side} knee was prepped with chlorhexidine. Via a superolateral approach, "
                f"{rng.choice((5, 10, 15))} mL of clear synovial fluid was aspirated and 40 mg triamcinolone "
                "with 4 mL 1% lidocaine was injected. Band-aid applied."
            )
        if self.name == "colonoscopy":
            return (
                "After moderate sedation, the colonoscope was advanced to the cecum, identified by the appendiceal "
                f"orifice and ileocecal valve. Boston bowel preparation score {rng.randint(7, 9)}. Withdrawal time "
                f"{rng.randint(7, 14)} minutes."
            )
        if self.name == "cataract":
            return (
                "Topical and intracameral anesthesia. Clear corneal incision, capsulorhexis, phacoemulsification of "
                "the nucleus, cortical cleanup and placement of a posterior chamber intraocular lens in the bag."
            )
        raise ValueError(f"unknown procedure {self.name}")


_CODES = {
    "laceration": "12001",
    "abscess": "10060",
    "knee_injection": "20610",
    "colonoscopy": "45378",
    "cataract": "66984",
}

PROCEDURES = (
    Procedure("laceration", "Laceration repair", "lac_ext", "ed"),
    Procedure("laceration", "Laceration repair", "lac_scalp", "ed"),
    Procedure("abscess", "Incision and drainage", "abscess", "op"),
    Procedure("knee_injection", "Knee joint injection", "knee_oa", "op", sided=True),
    Procedure("colonoscopy", "Colonoscopy", "crc_screen", "op"),
    Procedure("cataract", "Cataract surgery", "cataract", "op", sided=True),
)
PROCEDURE_CODES = frozenset([*_CODES.values(), "G0121"])
