"""E-mail notifications of a task: who gets the run report and when."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

_EMAIL_MAX = 254


class NotifyWhen(StrEnum):
    """When a run report is mailed."""

    ALWAYS = "always"
    FAILURE = "failure"
    NEVER = "never"


class Notification(BaseModel):
    """Recipients of the run report and when to send it (``failure`` also covers partial success)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    emails: list[str] = Field(default_factory=list, max_length=20, examples=[["sales@example.com"]])
    when: NotifyWhen = NotifyWhen.FAILURE

    @field_validator("emails")
    @classmethod
    def _valid_addresses(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for address in value:
            address = address.strip()
            local, _, domain = address.partition("@")
            if (
                not local
                or "." not in domain
                or len(address) > _EMAIL_MAX
                or any(c.isspace() or c in "<>,;\"" for c in address)
            ):
                raise ValueError(f"not a valid e-mail address: {address!r}")
            if address.lower() not in {a.lower() for a in cleaned}:
                cleaned.append(address)
        return cleaned

    def wants_report(self, *, failed: bool) -> bool:
        """Whether a run with this outcome is mailed."""
        if not self.emails or self.when is NotifyWhen.NEVER:
            return False
        return self.when is NotifyWhen.ALWAYS or failed
