"""Routes: FTPS users of an environment (clients deliver files with them). Passwords are never returned,
except a generated one, once, in the answer that created it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict, Field

from pimtasks.api import examples
from pimtasks.api.context import environment_caller
from pimtasks.api.models import ItemList
from pimtasks.api.responses import CONFLICT, EnvPath, json_response, responses
from pimtasks.domain.ftps_user import USERNAME_PATTERN, FtpsCredentials, FtpsUserSummary
from pimtasks.wiring import ftps_user_service

router = APIGatewayRouter()

UsernamePath = Annotated[str, Path(pattern=USERNAME_PATTERN)]


class FtpsUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=100, description="Unique across all environments")
    password: str | None = Field(default=None, description="Omit to have a strong one generated (shown once)")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, description="Omit to have a strong one generated (shown once)")


@router.post("/environments/<env>/ftps-users", summary="Create an FTPS user of the environment", tags=["FTPS users"],
             responses=responses(201, FtpsCredentials, "The user; a generated password is shown this once", CONFLICT,
                                 body=True))
def create_ftps_user(env: EnvPath,
                     user: Annotated[FtpsUserIn, Body(embed=False, openapi_examples=examples.FTPS_USER)],
                     ) -> Response[FtpsCredentials]:
    """An FTPS account of the environment; without a password a strong one is generated and shown in this
    answer only. 409 when the user name is taken (in any environment)."""
    environment_caller(router, env)
    created = ftps_user_service().create_user(environment=env, username=user.username, password=user.password)
    return json_response(201, created)


@router.get("/environments/<env>/ftps-users", summary="The environment's FTPS users (no passwords)",
            tags=["FTPS users"], responses=responses(200, ItemList[FtpsUserSummary], "The users"))
def list_ftps_users(env: EnvPath) -> ItemList[FtpsUserSummary]:
    """The environment's FTPS accounts with their lock state; passwords are never shown."""
    environment_caller(router, env)
    return ItemList[FtpsUserSummary](items=ftps_user_service().list_users(env))


@router.delete("/environments/<env>/ftps-users/<username>", summary="Delete an FTPS user", tags=["FTPS users"],
               responses=responses(204, None, "Deleted"))
def delete_ftps_user(env: EnvPath, username: UsernamePath) -> Response[None]:
    """Deletes the account; its uploads stay."""
    environment_caller(router, env)
    ftps_user_service().delete_user(environment=env, username=username)
    return Response(status_code=204)


@router.post("/environments/<env>/ftps-users/<username>/reset-password", summary="Set a new password",
             tags=["FTPS users"],
             responses=responses(200, FtpsCredentials, "The user; a generated password is shown this once",
                                 body=True))
def reset_ftps_password(env: EnvPath, username: UsernamePath,
                        password: Annotated[PasswordIn, Body(embed=False, openapi_examples=examples.PASSWORD)],
                        ) -> FtpsCredentials:
    """Sets a new password (generated when none is given, shown once) and lifts a login lock."""
    environment_caller(router, env)
    return ftps_user_service().reset_password(environment=env, username=username, password=password.password)
