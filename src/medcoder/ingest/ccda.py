"""C-CDA (HL7 CDA R2 / C-CDA R2.1) documents to ``Document`` records, with lxml.

What is read: the document type (ClinicalDocument/code LOINC), the patient (birth time -> age at
the encounter, administrative gender), the encompassing encounter (date, setting from its ActCode
or CPT E/M code), the legal authenticator (signed or not), every section (named by LOINC code,
then templateId, then title) with its narrative flattened to text, and structured codes in
ICD-10-CM / ICD-10-PCS / CPT / HCPCS as ``Document.hints`` (never as gold labels). A hint whose
entry references narrative (``<reference value="#id"/>``) carries that narrative's span.

Malformed input: many real C-CDA files and fragments use the ``xsi:`` or ``sdtc:`` prefixes
without declaring them, which a namespace-aware parser rejects ("unbound prefix"). We declare the
well-known prefixes on the root element and parse again, and report the repair in
``IngestedDocument.recovered``. Section-level fragments (root ``<section>``) parse as documents of
type ``ccda_section``. Entity expansion and network access are off (no XXE).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re

from lxml import etree

from medcoder.data.records import CodeLabel, Document, Patient, Section, Setting, Sex, Span
from medcoder.errors import InputFormatError
from medcoder.ingest import ccda_codes as C
from medcoder.ingest.binary import decode_binary
from medcoder.ingest.ccda_narrative import TextBuilder, flatten_narrative, local, trim_span
from medcoder.ingest.model import IngestedDocument

log = logging.getLogger(__name__)

KNOWN_PREFIXES = {
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "sdtc": "urn:hl7-org:sdtc",
    "voc": "urn:hl7-org:v3/voc",
}
MAX_BYTES = 20_000_000


def load_xml(data: bytes, *, where: str | None = None) -> tuple[etree._Element, tuple[str, ...]]:
    """Parse XML safely; declare undeclared well-known prefixes if that is what failed.

    Returns the root element and a description of every repair made.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        return etree.fromstring(data, parser), ()
    except etree.XMLSyntaxError as e:
        first_error = str(e)
        if "Namespace prefix" not in first_error and "unbound" not in first_error.lower():
            raise InputFormatError(f"malformed XML: {e.msg}", path=where, line=e.lineno) from e
    head = data[:4096].decode("utf-8", "replace")
    missing = [
        p
        for p in KNOWN_PREFIXES
        if re.search(rf"[\s<]{p}:", data.decode("utf-8", "replace")) and f"xmlns:{p}=" not in head
    ]
    decl = " ".join(f'xmlns:{p}="{KNOWN_PREFIXES[p]}"' for p in missing).encode()
    m = re.search(rb"<(?!\?|!)[A-Za-z_][\w.:-]*", data)
    if not missing or m is None:
        raise InputFormatError(f"malformed XML: {first_error}", path=where)
    fixed = data[: m.end()] + b" " + decl + data[m.end() :]
    try:
        root = etree.fromstring(fixed, parser)
    except etree.XMLSyntaxError as e:
        raise InputFormatError(f"malformed XML even after declaring {missing}: {e.msg}", path=where) from e
    return root, tuple(f"declared undeclared namespace prefix '{p}:'" for p in missing)


def _first(el: etree._Element | None, path: str) -> etree._Element | None:
    return None if el is None else el.find(path)


def _ts_date(value: str | None) -> dt.date | None:
    """HL7 TS ('20050329', '20140302124536-0500') -> date; None when absent or too short."""
    if not value or len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def age_on(birth: dt.date | None, on: dt.date | None) -> int | None:
    """Whole years between ``birth`` and ``on`` (None if either is unknown or the result is invalid)."""
    if birth is None or on is None:
        return None
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return years if 0 <= years <= 130 else None


def _section_name(sec: etree._Element) -> str:
    code = _first(sec, "{*}code")
    if code is not None and code.get("code") in C.SECTIONS_BY_LOINC:
        return C.SECTIONS_BY_LOINC[code.get("code")]
    for t in sec.findall("{*}templateId"):
        if t.get("root") in C.SECTIONS_BY_TEMPLATE:
            return C.SECTIONS_BY_TEMPLATE[t.get("root")]
    title = _first(sec, "{*}title")
    raw = (title.xpath("string()") if title is not None else "") or "section"
    return re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_") or "section"


def _write_section(
    sec: etree._Element, out: TextBuilder, sections: list[Section], hints: list[tuple[etree._Element, str]]
) -> None:
    out.newline(blank=True)
    start = out.pos
    title = _first(sec, "{*}title")
    if title is not None and title.xpath("string()").strip():
        out.add_text(title.xpath("string()"))
        out.newline()
    text = _first(sec, "{*}text")
    if text is not None:
        flatten_narrative(text, out)
    for entry in sec.findall("{*}entry"):
        for el in entry.iter():
            if isinstance(el.tag, str) and el.get("codeSystem") in C.CODE_SYSTEM_OIDS and el.get("code"):
                hints.append((el, el.get("codeSystem")))
    for sub in sec.findall("{*}component/{*}section"):
        _write_section(sub, out, sections, hints)
    out.newline()
    sections.append(Section(_section_name(sec), start, out.pos))


def _reference_id(el: etree._Element) -> str | None:
    """The narrative ID an entry element points at: its own originalText, else the nearest act's text."""
    node: etree._Element | None = el
    while node is not None and local(node) != "entry":
        for path in ("{*}originalText/{*}reference", "{*}text/{*}reference"):
            ref = node.find(path)
            if ref is not None and (ref.get("value") or "").startswith("#"):
                return ref.get("value")[1:]
        node = node.getparent()
    return None


def _hints(
    found: list[tuple[etree._Element, str]], ids: dict[str, tuple[int, int]], text: str
) -> tuple[CodeLabel, ...]:
    out: dict[tuple[str, str], CodeLabel] = {}
    for el, oid in found:
        system, code = C.CODE_SYSTEM_OIDS[oid], el.get("code").strip()
        if not code:
            continue
        spans: tuple[Span, ...] = ()
        ref = _reference_id(el)
        if ref in ids:
            s, e = trim_span(text, *ids[ref])
            if e > s:
                spans = (Span(s, e),)
        key = (system.value, code)
        if key not in out or (spans and not out[key].spans):
            out[key] = CodeLabel(system, code, spans)
    return tuple(out.values())


def _nonxml_text(body: etree._Element, where: str | None) -> str:
    text_el = _first(body, "{*}text")
    if text_el is None:
        raise InputFormatError("nonXMLBody has no <text>", path=where)
    ref = _first(text_el, "{*}reference")
    if ref is not None and not (text_el.text or "").strip():
        raise InputFormatError(
            f"nonXMLBody only references an external file ({ref.get('value')!r}) that is not in the document",
            path=where,
        )
    media = text_el.get("mediaType") or "text/plain"
    raw = (text_el.text or "").strip()
    if text_el.get("representation") == "B64":
        try:
            data = base64.b64decode(re.sub(r"\s+", "", raw), validate=True)
        except ValueError as e:
            raise InputFormatError(f"nonXMLBody base64 does not decode: {e}", path=where) from e
    else:
        data = raw.encode("utf-8")
    return decode_binary(data, media, where=where).text


def parse_ccda(data: bytes, *, source_id: str | None = None, where: str | None = None) -> IngestedDocument:
    """Parse one C-CDA document (or section fragment) from bytes into an ``IngestedDocument``."""
    if len(data) > MAX_BYTES:
        raise InputFormatError(f"document is {len(data)} bytes, over the {MAX_BYTES} byte limit", path=where)
    root, recovered = load_xml(data, where=where)
    kind = local(root)
    if kind not in {"ClinicalDocument", "section"}:
        raise InputFormatError(
            f"root element <{kind}> is neither a ClinicalDocument nor a section", path=where
        )
    out, sections, found = TextBuilder(), [], []
    if kind == "section":
        _write_section(root, out, sections, found)
        text = out.text()
        ident = source_id or hashlib.sha1(data).hexdigest()[:16]
        doc = Document(id=f"ccda:{ident}", text=text, doc_type="ccda_section", sections=tuple(sections),
                       source="ccda", source_id=source_id, hints=_hints(found, out.ids, text))  # fmt: skip
        return IngestedDocument(doc, recovered=recovered)

    doc_id_el = _first(root, "{*}id")
    native_id = (
        "^".join(x for x in (doc_id_el.get("root"), doc_id_el.get("extension")) if x)
        if doc_id_el is not None
        else None
    )
    code_el = _first(root, "{*}code")
    loinc = code_el.get("code") if code_el is not None else None
    doc_type = C.DOC_TYPES.get(loinc or "", "note")
    pr = _first(root, "{*}recordTarget/{*}patientRole")
    pat = _first(pr, "{*}patient")
    birth = (
        _ts_date(_first(pat, "{*}birthTime").get("value"))
        if _first(pat, "{*}birthTime") is not None
        else None
    )
    gender_el = _first(pat, "{*}administrativeGenderCode")
    sex = {"F": Sex.FEMALE, "M": Sex.MALE}.get(
        gender_el.get("code") if gender_el is not None else "", Sex.UNKNOWN
    )
    pid = _first(pr, "{*}id")
    enc = _first(root, "{*}componentOf/{*}encompassingEncounter")
    enc_date = None
    setting = Setting.UNKNOWN
    if enc is not None:
        eff = _first(enc, "{*}effectiveTime")
        if eff is not None:
            low = _first(eff, "{*}low")  # an interval may hold only <high> or <center>
            enc_date = _ts_date(eff.get("value")) or (_ts_date(low.get("value")) if low is not None else None)
        ecode = _first(enc, "{*}code")
        if ecode is not None:
            setting = C.ACT_ENCOUNTER.get(ecode.get("code") or "", Setting.UNKNOWN)
            if setting is Setting.UNKNOWN and ecode.get("codeSystem") == "2.16.840.1.113883.6.12":
                setting = C.setting_from_cpt(ecode.get("code") or "")
            if ecode.get("codeSystem") in C.CODE_SYSTEM_OIDS and ecode.get("code"):
                found.append((ecode, ecode.get("codeSystem")))
    if setting is Setting.UNKNOWN and doc_type in {"discharge_summary", "transfer_summary"}:
        setting = Setting.INPATIENT
    doc_date = (
        _ts_date(_first(root, "{*}effectiveTime").get("value"))
        if _first(root, "{*}effectiveTime") is not None
        else None
    )
    sig = _first(root, "{*}legalAuthenticator/{*}signatureCode")
    signed = sig is not None and sig.get("code") == "S"

    body = _first(root, "{*}component/{*}structuredBody")
    nonxml = _first(root, "{*}component/{*}nonXMLBody")
    if body is not None:
        for sec in body.findall("{*}component/{*}section"):
            _write_section(sec, out, sections, found)
        text = out.text()
    elif nonxml is not None:
        text = _nonxml_text(nonxml, where)
        sections = []
    else:
        raise InputFormatError("ClinicalDocument has neither structuredBody nor nonXMLBody", path=where)
    ident = hashlib.sha1((native_id or "").encode() or data).hexdigest()[:16]
    doc = Document(
        id=f"ccda:{ident}",
        text=text,
        doc_type=doc_type,
        setting=setting,
        patient=Patient(age=age_on(birth, enc_date or doc_date), sex=sex),
        encounter_date=enc_date or doc_date,
        sections=tuple(sections),
        source="ccda",
        source_id=source_id or native_id,
        hints=_hints(found, out.ids, text),
    )
    log.debug("parsed C-CDA %s: %d sections, %d hints", doc.id, len(doc.sections), len(doc.hints))
    return IngestedDocument(
        doc,
        status="final" if signed else None,
        signed=signed,
        patient_id=("^".join(x for x in (pid.get("root"), pid.get("extension")) if x) or None)
        if pid is not None
        else None,
        encounter_id=(_first(enc, "{*}id").get("extension") or _first(enc, "{*}id").get("root"))
        if _first(enc, "{*}id") is not None
        else None,
        patient_matched=pid is not None and birth is not None,
        encounter_matched=enc is not None,
        recovered=recovered,
    )
