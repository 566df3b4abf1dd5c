"""E/M leveling for every family (2021 office and 2023 AMA rules: MDM or total time; ED by MDM;
discharge and critical care by time; preventive by age), with family selection and add-ons."""

from medcoder.rules.em.assessment import EmAssessment
from medcoder.rules.em.check import check_em
from medcoder.rules.em.families import FamilyChoice, choose_family
from medcoder.rules.em.level import assess_em, assess_family, em_family
from medcoder.rules.em.records import EmFacts, EmLine

__all__ = [
    "EmAssessment",
    "EmFacts",
    "EmLine",
    "FamilyChoice",
    "assess_em",
    "assess_family",
    "check_em",
    "choose_family",
    "em_family",
]
