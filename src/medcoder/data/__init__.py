"""Records, dataset loaders, the synthetic corpus and data cards."""

from medcoder.data.records import CodeLabel, CodeSystem, Document, Patient, Section, Setting, Sex, Span

__all__ = ["CodeLabel", "CodeSystem", "Document", "Patient", "Section", "Setting", "Sex", "Span"]
