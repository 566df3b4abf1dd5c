"""Roles, permissions and the table that says which role may do what.

Kept here (not in ``serving``) because the audit store records the actor's role and stores API
keys with a role; ``medcoder.serving.auth`` checks requests against the same table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who is calling.

    - ``service``: a downstream system (EHR, billing) asking for codes.
    - ``coder``: a clinical coder who reviews suggestions and gives feedback.
    - ``auditor``: compliance; reads the audit trail, changes nothing.
    - ``billing``: a billing office or system; exports approved charts as claims, ingests 835s.
    - ``admin``: operates the service (API keys, audit verification) and may do everything.
    """

    SERVICE = "service"
    CODER = "coder"
    AUDITOR = "auditor"
    BILLING = "billing"
    ADMIN = "admin"


class Permission(StrEnum):
    """An operation guarded by a role check (one per API or group of APIs)."""

    CODE = "code"
    CODE_BATCH = "code_batch"
    FEEDBACK = "feedback"
    REVIEW = "review"  # the worklist: reads queued charts with their note text, finalizes them
    AUDIT_READ = "audit_read"
    CLAIMS = "claims"
    ADMIN = "admin"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SERVICE: frozenset({Permission.CODE, Permission.CODE_BATCH}),
    Role.CODER: frozenset({Permission.CODE, Permission.CODE_BATCH, Permission.FEEDBACK, Permission.REVIEW}),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ}),
    Role.BILLING: frozenset({Permission.CLAIMS}),
    Role.ADMIN: frozenset(Permission),
}
"""The permission table. Auditors read only; only coders (and admins) give feedback, because a
feedback event records a coder's decision; only coders (and admins) open the review worklist, because it
shows note text. Only billing (and admins) turn approved charts into claims
and read remittances: claims carry payment data that coders and downstream coding callers do not need."""


def is_allowed(role: Role, permission: Permission) -> bool:
    """True when ``role`` may perform ``permission`` according to :data:`PERMISSIONS`."""
    return permission in PERMISSIONS[Role(role)]
