"""AWS Transfer Family identity provider: an FTPS login in, a role + logical home + session policy out.

Uses the same ``FtpsUserService.authenticate`` as the local FTPS gateway, and the same upload rule
(``ImportFolders``: writes only into imports with ``ftps_upload`` on). Transfer Family reads an empty
answer as "access denied", so every refusal (unknown user, wrong password, locked account, unsupported
protocol, malformed event, a session policy that would not fit) answers ``{}``.
"""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.observability import lambda_handler, logger, metrics
from pimtasks.services.ftps_users import FtpsLoginFailedError
from pimtasks.services.transfer_identity import (
    DENIED,
    SUPPORTED_PROTOCOLS,
    SessionPolicyTooLongError,
    TransferIdentityRequest,
    transfer_identity_response,
)
from pimtasks.settings import get_settings
from pimtasks.wiring import ftps_user_service, task_service
from pydantic import ValidationError

# The refusal delay slows guessing down; Transfer Family waits for the answer, but keep it well inside
# the function's timeout.
MAX_REFUSAL_DELAY_SECONDS = 3.0


# Its events carry passwords: answers and errors stay out of the trace.
@lambda_handler(trace_payloads=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = TransferIdentityRequest.model_validate(event)
    except ValidationError:
        logger.warning("malformed identity request", extra={"fields": sorted(event)})
        return DENIED
    if request.protocol not in SUPPORTED_PROTOCOLS:
        logger.warning("protocol refused", extra={"protocol": request.protocol, "source_ip": request.source_ip})
        return DENIED
    try:
        login = ftps_user_service().authenticate(username=request.username, password=request.password,
                                                 source_ip=request.source_ip)
    except FtpsLoginFailedError as refused:
        metrics.add_metric(name="FtpsLoginsRefused", unit=MetricUnit.Count, value=1)
        time.sleep(min(refused.delay_seconds, MAX_REFUSAL_DELAY_SECONDS))
        return DENIED
    settings = get_settings()
    try:
        return transfer_identity_response(login, imports=task_service().import_folders(login.environment),
                                          bucket=settings.require("files_bucket"),
                                          role_arn=settings.require("transfer_user_role_arn"))
    except SessionPolicyTooLongError as too_long:
        logger.error("login refused: session policy too long",
                     extra={"environment": too_long.environment, "length": too_long.length,
                            "folders": too_long.folders})
        metrics.add_metric(name="FtpsSessionPolicyTooLong", unit=MetricUnit.Count, value=1)
        return DENIED
