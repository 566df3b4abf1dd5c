"""Build note text piece by piece while recording sections and mention offsets exactly."""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.data.records import CodeSystem, Section, Span

ASSERTIONS = ("present", "negated", "family", "historical", "hypothetical")


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of a code in a generated note, with how it is asserted.

    Only ``present`` mentions justify a label; the others are distractors that must not be coded.
    """

    code: str
    system: CodeSystem
    assertion: str
    span: Span
    text: str
    section: str


class NoteWriter:
    """Append-only text buffer: sections cover the text end to end, mentions keep their offsets."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self._sections: list[Section] = []
        self._current: tuple[str, int] | None = None
        self.mentions: list[Mention] = []

    @property
    def pos(self) -> int:
        return self._pos

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._pos += len(text)

    def section(self, name: str, header: str | None) -> None:
        """Close the open section and start ``name``; ``header`` (e.g. ``"HPI:"``) opens its text."""
        self._close()
        self._current = (name, self._pos)
        if header:
            self.write(header)

    def mention(
        self, text: str, code: str, assertion: str = "present", system: CodeSystem = CodeSystem.ICD10CM
    ) -> Span:
        """Write ``text`` and record it as a mention of ``code``."""
        if assertion not in ASSERTIONS:
            raise ValueError(f"assertion must be one of {ASSERTIONS}, got {assertion!r}")
        start = self._pos
        self.write(text)
        span = Span(start, self._pos)
        name = self._current[0] if self._current else ""
        self.mentions.append(Mention(code, system, assertion, span, text, name))
        return span

    def _close(self) -> None:
        if self._current is not None:
            name, start = self._current
            self._sections.append(Section(name, start, self._pos))
            self._current = None

    def finish(self) -> tuple[str, tuple[Section, ...]]:
        """The text and its sections; the last section ends at the end of the text."""
        self._close()
        return "".join(self._parts), tuple(self._sections)
