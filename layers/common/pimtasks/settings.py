"""Typed settings read once from the function's environment variables (STYLE §4).

Every function reads the variables it needs through ``get_settings()``; nothing else touches
``os.environ``. Variables that a function does not need may be absent: the fields are optional and a
missing one raises ``MissingSettingError`` when first used, naming the variable.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class MissingSettingError(RuntimeError):
    def __init__(self, variable: str) -> None:
        super().__init__(f"environment variable {variable} is not set for this function")
        self.variable = variable


class Settings(BaseModel):
    """The environment of a pimtasks function. Field names are the variable names in lower case."""

    model_config = ConfigDict(frozen=True)

    stack_name: str = "pimtasks"
    tasks_table: str | None = None
    runs_table: str | None = None
    admin_table: str | None = None
    catalog_table: str | None = None
    invoices_table: str | None = None
    files_bucket: str | None = None
    transfer_user_role_arn: str | None = None
    schedule_group_prefix: str = "pimtasks"
    scheduler_role_arn: str | None = None
    schedules_dlq_arn: str | None = None
    function_name_prefix: str = Field(default="pimtasks-", description="Type functions are named <prefix><family>")
    aws_region: str = "eu-west-1"
    aws_account_id: str | None = None
    aws_partition: str = Field(default="aws", description="ARN partition (aws, aws-cn, aws-us-gov); the template "
                                                          "sets it from AWS::Partition")
    mail_sender: str | None = None
    secrets_prefix: str = "pimtasks"
    run_retention_days: int = 90
    heartbeat_seconds: float = 3.0
    stale_after_seconds: int = 300
    queued_timeout_seconds: int = 6 * 3600
    sequence_settle_seconds: float = 20.0
    slot_stall_seconds: float = Field(default=120.0, description="After this long waiting in its minute slot, a "
                                      "queued run's slot is moved on by the sweeper")
    continuation_margin_seconds: float = 60.0
    upload_url_seconds: int = 900
    download_url_seconds: int = 300
    uploads_queue_url: str | None = None

    def require(self, name: str) -> str:
        """The value of an optional setting, or ``MissingSettingError`` naming the variable."""
        value = getattr(self, name)
        if value in (None, ""):
            raise MissingSettingError(name.upper())
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    values = {name: os.environ[name.upper()] for name in Settings.model_fields if name.upper() in os.environ}
    if "aws_region" not in values and "AWS_DEFAULT_REGION" in os.environ:
        values["aws_region"] = os.environ["AWS_DEFAULT_REGION"]
    return Settings.model_validate(values)
