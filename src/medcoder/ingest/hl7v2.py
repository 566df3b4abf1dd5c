"""HL7 v2 messages to ``Document`` records (python-hl7): MDM^T02 and ORU^R01 with text OBX.

Text comes from OBX segments whose value type is TX, FT or ST; field repetitions become lines and
escape sequences are decoded (``\\F\\ | \\S\\ ^ \\T\\ & \\R\\ ~ \\E\\ \\ \\.br\\`` line break,
``\\Xhh\\`` hex bytes). Patient age and sex come from PID-7/PID-8, the setting from PV1-2 (patient
class), the encounter from PV1-19. For MDM the status is TXA-17 (document completion status:
AU/LA signed); for ORU it is OBR-25 (result status: F final, C corrected, P preliminary).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re

import hl7
import hl7.util

from medcoder.data.records import Document, Patient, Setting, Sex
from medcoder.errors import InputFormatError
from medcoder.ingest.ccda import age_on
from medcoder.ingest.model import IngestedDocument
from medcoder.ingest.text import normalise_whitespace

log = logging.getLogger(__name__)

TEXT_TYPES = {"TX", "FT", "ST"}
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
PATIENT_CLASS = {
    "I": Setting.INPATIENT,
    "O": Setting.OUTPATIENT,
    "E": Setting.EMERGENCY,
    "P": Setting.OUTPATIENT,
}
TXA_STATUS = {"AU": "final", "LA": "final", "DO": "preliminary", "PA": "preliminary", "IP": "preliminary",
              "IN": "preliminary", "DI": "preliminary"}  # fmt: skip
OBR_STATUS = {
    "F": "final",
    "C": "amended",
    "P": "preliminary",
    "R": "preliminary",
    "I": "preliminary",
    "X": "entered-in-error",
}
SUPPORTED = {("MDM", "T02"), ("MDM", "T04"), ("MDM", "T06"), ("MDM", "T08"), ("ORU", "R01")}


def split_messages(text: str) -> list[str]:
    """Split a file holding one or more messages (any line ending) into message strings."""
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r\x0b\x1c ")
    chunks: list[str] = []
    for seg in text.split("\r"):
        if seg.startswith("MSH"):
            chunks.append(seg)
        elif seg.strip():
            if not chunks:
                raise InputFormatError(f"HL7 v2 {first_segment_problem(seg)}")
            chunks[-1] += "\r" + seg
    if not chunks:
        raise InputFormatError("HL7 v2 file is empty (expected an MSH segment)")
    return chunks


def first_segment_problem(segment: str) -> str:
    """What is wrong with a first segment that is not MSH, e.g. ``first segment is 'MSX', expected MSH``.

    Only a plausible segment id (three capitals or digits) is quoted, so free text is never echoed.
    """
    name = segment.strip("\x0b\x1c ")[:3]
    if SEGMENT_ID.fullmatch(name):
        return f"first segment is '{name}', expected MSH"
    return "first segment does not start with a segment id, expected MSH"


class WithholdFieldValues(logging.Filter):
    """python-hl7 logs the raw field (note text) when an escape sequence does not decode; keep only
    the fact that it happened, never the value or a traceback that quotes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "python-hl7: could not decode an escape sequence or segment (value withheld)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


def _withhold_hl7_field_values() -> None:
    """Attach ``WithholdFieldValues`` to python-hl7's logger (named after its file), once."""
    logger = logging.getLogger(hl7.util.__file__)
    if not any(isinstance(f, WithholdFieldValues) for f in logger.filters):
        logger.addFilter(WithholdFieldValues())


def _segments(msg: object, name: str) -> list:
    return [s for s in msg if str(s[0]) == name]  # type: ignore[attr-defined]


def _field(seg: object, idx: int) -> str:
    try:
        return str(seg[idx])  # type: ignore[index]
    except (IndexError, KeyError):
        return ""


def _component(value: str, n: int, sep: str = "^") -> str:
    parts = value.split(sep)
    return parts[n] if n < len(parts) else ""


def _date(value: str) -> dt.date | None:
    if len(value) >= 8 and value[:8].isdigit():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            return None
    return None


def parse_hl7v2(message: str, *, where: str | None = None) -> IngestedDocument:
    """Parse one MDM or ORU message into an ``IngestedDocument`` (text from TX/FT/ST OBX)."""
    _withhold_hl7_field_values()
    message = message.replace("\r\n", "\r").replace("\n", "\r").strip("\r\x0b\x1c ")
    try:
        msg = hl7.parse(message)
        msh = msg.segment("MSH")
    except Exception as e:  # python-hl7 raises ParseException, KeyError, IndexError
        raise InputFormatError(f"HL7 v2 message could not be parsed: {e}", path=where) from e
    rep = msg.separators[2] if len(msg.separators) > 2 else "~"
    mtype = _field(msh, 9)
    kind = (_component(mtype, 0), _component(mtype, 1))
    if kind not in SUPPORTED:
        raise InputFormatError(
            f"HL7 v2 message type {'^'.join(kind)} is not a document (need MDM^T02 or ORU^R01)", path=where
        )
    control_id = _field(msh, 10)
    lines: list[str] = []
    obx_status: set[str] = set()
    for n, seg in enumerate(_segments(msg, "OBX"), 1):
        if _field(seg, 2) not in TEXT_TYPES:
            continue
        raw = _field(seg, 5)
        for rep_value in raw.split(rep):
            try:
                lines.append(msg.unescape(rep_value).replace("\r", "\n"))
            except (ValueError, IndexError, KeyError) as e:  # python-hl7 on e.g. a bad repeat count
                raise InputFormatError(
                    f"HL7 v2 OBX segment {n} has an escape sequence that does not decode", path=where
                ) from e
        obx_status.add(_field(seg, 11))
    text = normalise_whitespace("\n".join(lines))
    if not text:
        raise InputFormatError("HL7 v2 message has no TX/FT/ST OBX text", path=where)
    pid = next(iter(_segments(msg, "PID")), None)
    pv1 = next(iter(_segments(msg, "PV1")), None)
    txa = next(iter(_segments(msg, "TXA")), None)
    obr = next(iter(_segments(msg, "OBR")), None)
    birth = _date(_field(pid, 7)) if pid is not None else None
    sex = {"F": Sex.FEMALE, "M": Sex.MALE}.get(_field(pid, 8) if pid is not None else "", Sex.UNKNOWN)
    if kind[0] == "MDM" and txa is not None:
        doc_type = _component(_field(txa, 2), 0) or "note"
        when = _date(_field(txa, 4)) or _date(_field(msh, 7))
        completion = _field(txa, 17)
        status, signed = TXA_STATUS.get(completion), completion in {"AU", "LA"}
        native = _component(_field(txa, 12), 0) or control_id
    else:
        doc_type = (
            (_component(_field(obr, 4), 1) or _component(_field(obr, 4), 0) or "result")
            if obr is not None
            else "result"
        )
        when = (_date(_field(obr, 7)) if obr is not None else None) or _date(_field(msh, 7))
        result_status = _field(obr, 25) if obr is not None else ""
        status = OBR_STATUS.get(result_status or (obx_status.pop() if len(obx_status) == 1 else ""))
        signed = status in {"final", "amended"}
        native = (_component(_field(obr, 3), 0) if obr is not None else "") or control_id
    patient_id = _component(_field(pid, 3), 0) if pid is not None else ""
    encounter_id = _component(_field(pv1, 19), 0) if pv1 is not None else ""
    doc = Document(
        id=f"hl7v2:{hashlib.sha1(native.encode() or message.encode()).hexdigest()[:16]}",
        text=text,
        doc_type=doc_type.strip().lower().replace(" ", "_") or "note",
        setting=PATIENT_CLASS.get(_field(pv1, 2) if pv1 is not None else "", Setting.UNKNOWN),
        patient=Patient(age=age_on(birth, when), sex=sex),
        encounter_date=when,
        source="hl7v2",
        source_id=native or None,
    )
    log.debug("parsed HL7 v2 %s %s: %d chars", "^".join(kind), doc.id, len(text))
    return IngestedDocument(
        doc,
        status=status,
        signed=signed,
        patient_id=patient_id or None,
        encounter_id=encounter_id or None,
        patient_matched=bool(patient_id) and birth is not None,
        encounter_matched=bool(encounter_id),
    )
