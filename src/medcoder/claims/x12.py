"""The X12 5010 envelope: delimiters, segments, and the ISA/GS/ST structure with its counts.

An interchange starts with a fixed-width ISA segment (106 characters) that declares the delimiters:
the element separator is the character after ``ISA``, the repetition separator is ISA11, the
component separator is ISA16 and the segment terminator is the character after ISA16. Everything
after it is split with those. :func:`parse_interchange` checks the envelope the way a
clearinghouse would (IEA01 = number of groups, GE01 = number of transactions, SE01 = number of
segments from ST to SE, and matching control numbers) and raises :class:`X12Error` naming the
segment and its position (1-based, counting segments from ISA) on the first problem.

:func:`render` writes segments back with the same delimiters, one segment per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from medcoder.errors import InputFormatError

ISA_LENGTH = 106
"""Characters from ``I`` of ISA through the segment terminator."""

ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
"""Fixed widths of ISA01..ISA16 (005010)."""


class X12Error(InputFormatError):
    """A malformed X12 file; the message names the segment, its position and what is wrong."""

    def __init__(
        self, problem: str, *, segment: str = "", position: int = 0, path: str | Path | None = None
    ) -> None:
        self.segment = segment
        self.position = position
        self.detail = problem
        where = f"segment {segment} at position {position}: " if segment else ""
        super().__init__(f"{where}{problem}", path=path)


@dataclass(frozen=True)
class Delimiters:
    """The four X12 delimiters of one interchange."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.repetition, self.segment)
        if any(len(c) != 1 for c in chars) or len(set(chars)) != 4:
            raise ValueError(f"X12 delimiters must be four distinct single characters, got {chars!r}")


@dataclass(frozen=True)
class Segment:
    """One segment: its tag (``CLM``) and elements; ``seg[1]`` is the first element (X12 numbering).

    ``position`` is the segment's 1-based index in its file (ISA is 1), for error messages.
    """

    tag: str
    elements: tuple[str, ...]
    position: int = 0

    def __getitem__(self, index: int) -> str:
        """Element ``index`` in X12 numbering (1 = first after the tag); ``""`` when absent."""
        if index < 1:
            raise IndexError("X12 elements are numbered from 1")
        return self.elements[index - 1] if index <= len(self.elements) else ""

    def components(self, index: int, delimiters: Delimiters) -> tuple[str, ...]:
        """Element ``index`` split into its components (``HC:99213:25`` -> HC, 99213, 25)."""
        value = self[index]
        return tuple(value.split(delimiters.component)) if value else ()

    def error(self, problem: str) -> X12Error:
        """An :class:`X12Error` located at this segment."""
        return X12Error(problem, segment=self.tag, position=self.position)

    def decimal(self, index: int, *, required: bool = True) -> Decimal | None:
        """Element ``index`` as a Decimal amount; an unparsable amount is an error naming the element."""
        value = self[index]
        if not value:
            if required:
                raise self.error(f"{self.tag}{index:02d} (amount) is missing")
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.error(f"{self.tag}{index:02d} is not a number") from None
        if not amount.is_finite():
            raise self.error(f"{self.tag}{index:02d} is not a finite number")
        return amount

    def date(self, index: int) -> date | None:
        """Element ``index`` as a CCYYMMDD date (the first date of a ``D8``/``RD8`` range)."""
        value = self[index].split("-")[0]
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise self.error(f"{self.tag}{index:02d} is not a CCYYMMDD date") from None


@dataclass(frozen=True)
class Transaction:
    """One ST..SE transaction set: its ST segment, body segments (between ST and SE) and SE."""

    st: Segment
    body: tuple[Segment, ...]
    se: Segment

    @property
    def code(self) -> str:
        """Transaction set identifier (ST01): 837 or 835."""
        return self.st[1]

    @property
    def version(self) -> str:
        """Implementation guide (ST03, or GS08 when ST03 is absent)."""
        return self.st[3]


@dataclass(frozen=True)
class FunctionalGroup:
    """One GS..GE group of transactions."""

    gs: Segment
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class Interchange:
    """One ISA..IEA interchange with its delimiters and groups."""

    isa: Segment
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        """Every transaction of every group, in file order."""
        return tuple(t for g in self.groups for t in g.transactions)


def read_delimiters(text: str) -> Delimiters:
    """The delimiters an interchange declares in its ISA segment."""
    start = text.lstrip("\ufeff \t\r\n")
    if not start.startswith("ISA"):
        head = start[:3].encode("ascii", "backslashreplace").decode()
        raise X12Error(
            f"not an X12 interchange: it starts with {head!r}, expected ISA", segment="ISA", position=1
        )
    if len(start) < ISA_LENGTH:
        raise X12Error(
            f"ISA is {len(start)} characters, shorter than the fixed {ISA_LENGTH}: the file is truncated",
            segment="ISA",
            position=1,
        )
    element = start[3]
    fields = start[:ISA_LENGTH].split(element)
    if len(fields) != 17 or tuple(len(f) for f in fields[1:16]) != ISA_WIDTHS[:15]:
        raise X12Error(
            "ISA is not the fixed-width 16-element header (a padded field has the wrong width, or "
            "the element separator is used inside a field)",
            segment="ISA",
            position=1,
        )
    component = start[104]
    terminator = start[105]
    repetition = fields[11] if fields[12] >= "00501" and not fields[11].isalnum() else "^"
    if terminator.isalnum() or terminator in (element, component):
        raise X12Error(
            f"segment terminator {terminator!r} after ISA16 is not a valid delimiter",
            segment="ISA",
            position=1,
        )
    try:
        return Delimiters(element=element, component=component, repetition=repetition, segment=terminator)
    except ValueError as exc:
        raise X12Error(str(exc), segment="ISA", position=1) from None


def undeclared_component(value: str, delimiters: Delimiters) -> str | None:
    """The component separator a composite element really uses when it lacks the one ISA16 declares.

    Some real files (older billing tools) write ``>`` inside CLM05 or SVC01 although ISA16 declares
    ``:``. The readers of 837 and 835 both ask this one function: it returns the first character of
    ``value`` that is not a letter or digit and not another delimiter, or None when ``value`` holds
    the declared separator (or no candidate). The caller decides whether the element's shape fits.
    """
    if not value or delimiters.component in value:
        return None
    others = (delimiters.element, delimiters.repetition, delimiters.segment)
    return next((ch for ch in value if not ch.isalnum() and ch not in others), None)


def split_segments(text: str, delimiters: Delimiters) -> list[Segment]:
    """Split an interchange into segments (whitespace around each segment terminator dropped)."""
    segments: list[Segment] = []
    body = text.lstrip("\ufeff \t\r\n")
    if delimiters.segment not in body[ISA_LENGTH:] and body[ISA_LENGTH:].strip():
        raise X12Error(
            f"the segment terminator {delimiters.segment!r} declared after ISA16 never appears after the ISA "
            "segment: the file uses another terminator",
            segment="ISA",
            position=1,
        )
    raw_parts = body.split(delimiters.segment)
    for raw in raw_parts:
        stripped = raw.strip("\r\n")
        if not stripped.strip():
            continue
        position = len(segments) + 1
        parts = stripped.split(delimiters.element)
        tag = parts[0].strip()
        if not (2 <= len(tag) <= 3 and tag.isalnum() and tag.isupper() or tag.isdigit()):
            shown = tag[:8].encode("ascii", "backslashreplace").decode()
            raise X12Error(
                f"segment identifier {shown!r} is not 2-3 upper-case letters or digits "
                "(wrong segment terminator?)",
                segment=shown or "?",
                position=position,
            )
        segments.append(Segment(tag=tag, elements=tuple(parts[1:]), position=position))
    return segments


def parse_interchange(text: str, *, path: str | Path | None = None) -> Interchange:
    """Parse and check one ISA..IEA interchange; raises :class:`X12Error` on the first problem."""
    try:
        delimiters = read_delimiters(text)
        segments = split_segments(text, delimiters)
        return _structure(segments, delimiters)
    except X12Error as exc:
        if path is not None and exc.path is None:
            raise X12Error(exc.detail, segment=exc.segment, position=exc.position, path=path) from None
        raise


def _structure(segments: Sequence[Segment], delimiters: Delimiters) -> Interchange:
    """Group segments into ISA/GS/ST envelopes and check counts and control numbers."""
    isa = segments[0]
    last = segments[-1]
    if last.tag != "IEA":
        raise last.error("the interchange does not end with IEA: the file is truncated")
    groups: list[FunctionalGroup] = []
    i = 1
    while i < len(segments) - 1:
        gs = segments[i]
        if gs.tag != "GS":
            raise gs.error("expected GS (functional group header)")
        i += 1
        transactions: list[Transaction] = []
        while i < len(segments) - 1 and segments[i].tag == "ST":
            st = segments[i]
            j = i + 1
            while j < len(segments) - 1 and segments[j].tag not in ("SE", "ST", "GE", "IEA"):
                j += 1
            se = segments[j]
            if se.tag != "SE":
                raise se.error(
                    f"transaction {st[2]!r} (ST at position {st.position}) has no SE before {se.tag}"
                )
            count = j - i + 1
            if se[1] != str(count):
                raise se.error(f"SE01 says {se[1]!r} segments, the transaction has {count}")
            if se[2] != st[2]:
                raise se.error(f"SE02 control number {se[2]!r} does not match ST02 {st[2]!r}")
            transactions.append(Transaction(st=st, body=tuple(segments[i + 1 : j]), se=se))
            i = j + 1
        ge = segments[i]
        if ge.tag != "GE":
            raise ge.error("expected ST or GE inside the functional group")
        if ge[1] != str(len(transactions)):
            raise ge.error(f"GE01 says {ge[1]!r} transactions, the group has {len(transactions)}")
        if ge[2] != gs[6]:
            raise ge.error(f"GE02 control number {ge[2]!r} does not match GS06 {gs[6]!r}")
        groups.append(FunctionalGroup(gs=gs, transactions=tuple(transactions)))
        i += 1
    if last[1] != str(len(groups)):
        raise last.error(f"IEA01 says {last[1]!r} functional groups, the interchange has {len(groups)}")
    if last[2] != isa[13]:
        raise last.error(f"IEA02 control number {last[2]!r} does not match ISA13 {isa[13]!r}")
    return Interchange(isa=isa, delimiters=delimiters, groups=tuple(groups))


def isa_elements(
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    when: datetime,
    usage: str = "P",
    delimiters: Delimiters = Delimiters(),
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
) -> tuple[str, ...]:
    """ISA01..ISA16, each padded to its fixed width (``usage`` is ``P`` production or ``T`` test)."""
    if not 0 < control_number < 10**9:
        raise ValueError(f"ISA13 control number must be 1..999999999, got {control_number}")
    values = (
        "00", "", "00", "", sender_qualifier, sender_id, receiver_qualifier, receiver_id,
        when.strftime("%y%m%d"), when.strftime("%H%M"), delimiters.repetition, "00501",
        f"{control_number:09d}", "0", usage, delimiters.component,
    )  # fmt: skip
    out = []
    for value, width in zip(values, ISA_WIDTHS, strict=True):
        if len(value) > width:
            raise ValueError(f"ISA value {value!r} is longer than its fixed width {width}")
        out.append(value.ljust(width))
    return tuple(out)


def render(
    segments: Iterable[Sequence[str]], delimiters: Delimiters = Delimiters(), *, newline: bool = True
) -> str:
    """Write segments (tag first, then elements; trailing empty elements dropped) as X12 text."""
    end = delimiters.segment + ("\n" if newline else "")
    lines = []
    for seg in segments:
        parts = list(seg)
        if parts[0] != "ISA":
            while len(parts) > 1 and parts[-1] == "":
                parts.pop()
        for value in parts[1:]:
            bad = {delimiters.element, delimiters.segment} & set(value)
            if bad and parts[0] != "ISA":
                raise ValueError(f"{parts[0]} value contains a delimiter {sorted(bad)!r}; remove it")
        lines.append(delimiters.element.join(parts) + end)
    return "".join(lines)


def composite(*parts: str, delimiters: Delimiters = Delimiters()) -> str:
    """Join components (``HC``, ``99213``, ``25``) with the component separator, trailing empties dropped."""
    values = list(parts)
    while values and values[-1] == "":
        values.pop()
    return delimiters.component.join(values)
