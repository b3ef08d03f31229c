"""Routes: the environment's files (a folder, page by page) and presigned downloads of single files."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.api.context import decoded_path_parameter, environment_caller
from pimtasks.api.models import DownloadOut, FolderOut
from pimtasks.api.responses import BAD_KEY, EnvPath, responses
from pimtasks.api.routes_tasks import Limit, NextToken
from pimtasks.domain.environment_files import FOLDER_NAMES
from pimtasks.wiring import files_service

router = APIGatewayRouter()

KeyPath = Annotated[str, Path(max_length=1100, description=(
    "The file's key relative to the environment, / included (e.g. Reports/Sales conditions APAC/<run_id>/"
    "x.xlsx.rejected.csv): each segment percent-encoded, the slashes as they are"))]
VersionQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._+/=-]{1,1024}$", description=(
    "A version of the file (a run's input names the one it read; kept 30 days after it was replaced or removed)"))]
FolderQuery = Annotated[str | None, Query(max_length=1100, description=(
    f"A folder ({', '.join(FOLDER_NAMES)}) or a folder below one (Archived/Sales conditions APAC); "
    "omitted: the environment's folders"))]


@router.get("/environments/<env>/files", summary="A page of a folder of the environment's files", tags=["Files"],
            description=(f"Files directly in the folder with size and time of the last write, and its subfolders "
                         f"(recursive=true: every file below it instead), in key order. Pass the answer's "
                         f"next_token for the next page. 422 for an unknown folder (valid: "
                         f"{', '.join(FOLDER_NAMES)})."),
            responses=responses(200, FolderOut, "A page of the folder"))
def list_files(env: EnvPath, folder: FolderQuery = None, recursive: bool = False, limit: Limit = 50,
               next_token: NextToken = None) -> FolderOut:
    environment_caller(router, env)
    service = files_service()
    page = (service.top_folders() if folder is None else
            service.list_folder(environment=env, folder=folder, recursive=recursive, limit=limit,
                                next_token=next_token))
    return FolderOut.from_page(env, page)


@router.get("/environments/<env>/files/<file_key>", summary="A short-lived download link of one file", tags=["Files"],
            description="A presigned GET (valid for minutes, no API key needed) that saves the file under its "
                        "name; with version_id, of that version (a run's input, after its import moved it). 404 "
                        "when there is no file at the key; 400 for a key that cannot name a file of the "
                        "environment (a '..' or '.' segment, an empty segment, a leading '/', a backslash).",
            responses=responses(200, DownloadOut, "Where to GET the file", BAD_KEY))
def download_file(env: EnvPath, file_key: KeyPath, version_id: VersionQuery = None) -> DownloadOut:
    environment_caller(router, env)
    ticket = files_service().download(environment=env, key=decoded_path_parameter(router, "file_key", file_key),
                                      version_id=version_id)
    return DownloadOut(url=ticket.url, expires_at=ticket.expires_at, key=ticket.key, version_id=ticket.version_id,
                       size=ticket.size, last_modified=ticket.last_modified)

