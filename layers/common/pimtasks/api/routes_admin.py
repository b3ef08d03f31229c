"""Routes: environments, API keys, secrets, manual uploads, health."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.api import examples
from pimtasks.api.context import admin_caller, environment_caller, principal_of
from pimtasks.api.models import (
    ApiKeyIn,
    ApiKeyOut,
    EnvironmentIn,
    EnvironmentOut,
    HealthOut,
    IssuedApiKeyOut,
    ItemList,
    SecretIn,
    SecretOut,
    UploadIn,
    UploadOut,
)
from pimtasks.api.responses import CONFLICT, EnvPath, json_response, public_responses, responses
from pimtasks.domain.identifiers import API_KEY_ID_PATTERN, SECRET_NAME_PATTERN
from pimtasks.wiring import access_service, secret_service, upload_service

router = APIGatewayRouter()

SecretNamePath = Annotated[str, Path(pattern=SECRET_NAME_PATTERN)]
ApiKeyIdPath = Annotated[str, Path(pattern=API_KEY_ID_PATTERN)]


@router.get("/health", summary="Liveness (no API key needed)", tags=["Health"],
            responses=public_responses(HealthOut, "The API answers"),
            security=[{}])  # OpenAPI for "no key needed" ([] would be dropped as "not given")
def health() -> HealthOut:
    """Answers 200 when the API runs; needs no API key."""
    return HealthOut(status="ok")


@router.get("/environments", summary="Environments this key may use", tags=["Environments"],
            responses=responses(200, ItemList[EnvironmentOut], "The environments"))
def list_environments() -> ItemList[EnvironmentOut]:
    """The environments the calling key is bound to (all of them for an admin key)."""
    principal = principal_of(router)
    environments = access_service().list_environments(principal)
    return ItemList[EnvironmentOut](items=[EnvironmentOut.from_environment(e) for e in environments])


@router.post("/environments", summary="Create an environment (admin key)", tags=["Environments"],
             responses=responses(201, EnvironmentOut, "The created environment", CONFLICT, body=True))
def create_environment(
    environment: Annotated[EnvironmentIn, Body(embed=False, openapi_examples=examples.ENVIRONMENT)],
) -> Response[EnvironmentOut]:
    """A new environment (tenant) with its time zone, the default of its tasks' frequencies; 409 when the number
    exists. Needs an admin key."""
    admin_caller(router)
    created = access_service().create_environment(environment=environment.environment, name=environment.name,
                                                  timezone=environment.timezone)
    return json_response(201, EnvironmentOut.from_environment(created))


@router.get("/environments/<env>", summary="Read an environment", tags=["Environments"],
            responses=responses(200, EnvironmentOut, "The environment"))
def get_environment(env: EnvPath) -> EnvironmentOut:
    """The environment's name and time zone."""
    environment_caller(router, env)
    return EnvironmentOut.from_environment(access_service().get_environment(env))


@router.get("/api-keys", summary="List API keys (admin key; secrets are never shown)", tags=["API keys"],
            responses=responses(200, ItemList[ApiKeyOut], "The keys, without their secrets"))
def list_api_keys() -> ItemList[ApiKeyOut]:
    """Every API key with its environments and admin flag; only hashes are stored, no key is shown. Admin key."""
    admin_caller(router)
    return ItemList[ApiKeyOut](items=[ApiKeyOut.from_key(k) for k in access_service().list_api_keys()])


@router.post("/api-keys", summary="Issue an API key bound to environments (admin key)", tags=["API keys"],
             responses=responses(201, IssuedApiKeyOut, "The key, shown this once", body=True))
def create_api_key(key: Annotated[ApiKeyIn, Body(embed=False, openapi_examples=examples.API_KEY)],
                   ) -> Response[IssuedApiKeyOut]:
    """Issues a key bound to environments (or an admin key); the key is in this answer only. Admin key."""
    admin_caller(router)
    issued = access_service().issue_api_key(environments=list(key.environments), admin=key.admin,
                                            description=key.description)
    body = IssuedApiKeyOut(**ApiKeyOut.from_key(issued.key).model_dump(), api_key=issued.api_key)
    return json_response(201, body)


@router.delete("/api-keys/<key_id>", summary="Revoke an API key (admin key)", tags=["API keys"],
               description="409 for the key making the call and for the last admin key: either would leave "
                           "no admin key to issue new ones with.",
               responses=responses(204, None, "Revoked", CONFLICT))
def delete_api_key(key_id: ApiKeyIdPath) -> Response[None]:
    caller = admin_caller(router)
    access_service().revoke_api_key(key_id, caller=caller)
    return Response(status_code=204)


@router.get("/environments/<env>/secrets", summary="Names of the environment's secrets (never values)",
            tags=["Secrets"], responses=responses(200, ItemList[SecretOut], "The secrets' names"))
def list_secrets(env: EnvPath) -> ItemList[SecretOut]:
    """The names of the environment's secrets and when each was set; values never come back out."""
    environment_caller(router, env)
    return ItemList[SecretOut](items=[SecretOut(**s) for s in secret_service().list(environment=env)])


@router.put("/environments/<env>/secrets/<name>", summary="Set a secret (write-only)", tags=["Secrets"],
            description="Task settings name credentials by these names (e.g. settings.client_secret).",
            responses=responses(200, SecretOut, "The secret's name and when it was set", body=True))
def put_secret(env: EnvPath, name: SecretNamePath,
               secret: Annotated[SecretIn, Body(embed=False, openapi_examples=examples.SECRET)],
               ) -> SecretOut:
    environment_caller(router, env)
    access_service().get_environment(env)
    return SecretOut(**secret_service().put(environment=env, name=name, value=secret.value))


@router.delete("/environments/<env>/secrets/<name>", summary="Delete a secret", tags=["Secrets"],
               responses=responses(204, None, "Deleted"))
def delete_secret(env: EnvPath, name: SecretNamePath) -> Response[None]:
    """Deletes the secret; tasks that name it fail their next run saying so."""
    environment_caller(router, env)
    secret_service().delete(environment=env, name=name)
    return Response(status_code=204)


@router.post("/environments/<env>/uploads", summary="A presigned PUT for Uploads/<import>/<file name>",
             description="Manual upload into an import's folder. 422 for an unknown import, and for a file "
                         "name that is never imported (a folder path, or a temporary name such as x.part, "
                         "x.tmp, ~$x.xlsx or .x); 409 when the import's task has manual_upload off.",
             tags=["Uploads"], responses=responses(201, UploadOut, "Where to PUT the file", CONFLICT, body=True))
def create_upload(env: EnvPath, upload: Annotated[UploadIn, Body(embed=False, openapi_examples=examples.UPLOAD)],
                  ) -> Response[UploadOut]:
    environment_caller(router, env)
    ticket = upload_service().create_upload(environment=env, import_name=upload.import_name,
                                            file_name=upload.file_name)
    body = UploadOut(url=ticket.url, method=ticket.method, key=ticket.key, expires_at=ticket.expires_at)
    return json_response(201, body)
