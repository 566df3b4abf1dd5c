"""E/M leveling: office/outpatient (2021 AMA guidelines, time or MDM) and emergency department (MDM)."""

from medcoder.rules.em.level import EmAssessment, assess_em, check_em

__all__ = ["EmAssessment", "assess_em", "check_em"]
