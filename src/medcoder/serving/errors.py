"""Errors the coding service turns into HTTP answers, with a JSON pointer to the offending field.

Messages are fixed phrases plus field names and limits: they never quote the note, so they are
safe to return and to log.
"""

from __future__ import annotations

from medcoder.errors import MedcoderError


class ServingError(MedcoderError):
    """A request the service refuses: ``status`` (400, 404, 413, 422, 503), a message and a pointer."""

    def __init__(self, status: int, message: str, pointer: str | None = None) -> None:
        if not 400 <= status < 600:
            raise ValueError(f"ServingError status must be 4xx or 5xx, got {status}")
        self.status = status
        self.message = message
        self.pointer = pointer
        super().__init__(f"{status}: {message}" + (f" (at {pointer})" if pointer else ""))

    def body(self, request_id: str | None = None) -> dict[str, str | None]:
        """The JSON body of the error response (see ``schemas.ErrorBody``)."""
        return {"error": self.message, "pointer": self.pointer, "request_id": request_id}


def empty_note(pointer: str = "/text") -> ServingError:
    return ServingError(422, "the note is empty or whitespace only", pointer)


def note_too_large(n_chars: int, limit: int, pointer: str = "/text") -> ServingError:
    return ServingError(413, f"the note has {n_chars} characters; the limit is {limit}", pointer)


def fhir_pointer(problem: str) -> str:
    """A JSON pointer under ``/fhir`` from an ingest message such as
    ``invalid FHIR DocumentReference: content.0.attachment.contentType: string_type``."""
    _, _, rest = problem.partition(": ")
    field = rest.split(":", 1)[0].split(";", 1)[0].strip() if rest else ""
    if not field or " " in field:
        return "/fhir"
    return "/fhir/" + field.replace(".", "/")
