"""The work of a Magento task: log in with the task's credentials and push what changed since the last
successful run (``pimtasks.magento.push``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import MagentoSettings
from pimtasks.errors import NotFoundError
from pimtasks.magento.client import AdminToken, Authenticator, BearerToken, MagentoClient, OAuth1Signer, RetryPolicy
from pimtasks.magento.oauth1 import OAuth1Credentials
from pimtasks.magento.push import DEFAULT_POLL_DELAYS, MagentoPush
from pimtasks.magento.state import PushStateStore
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.services.ports import CatalogChanges
from pimtasks.services.run_job import RunJob, WorkerFailure


class MagentoWorker:
    def __init__(self, *, changes: CatalogChanges, state: PushStateStore, delta: DeltaWindow, clock: Clock,
                 retry: RetryPolicy | None = None, http_sleep: Callable[[float], None] = time.sleep,
                 poll_delays: Sequence[float] = DEFAULT_POLL_DELAYS, checkpoint_every: int = 1000) -> None:
        self._changes = changes
        self._state = state
        self._delta = delta
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._http_sleep = http_sleep
        self._poll_delays = poll_delays
        self._checkpoint_every = checkpoint_every
        self.last_client: MagentoClient | None = None

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, MagentoSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not a Magento task")
        # The window is fixed when the run starts; continuations carry it in the checkpoint.
        since = None
        if job.checkpoint is None and settings.only_changed:
            since = self._delta.since(environment=job.run.environment, task_id=job.run.task_id,
                                      current_run_id=job.run.run_id)
        client = MagentoClient(base_url=str(settings.base_url), auth=authenticator(settings, job),
                               retry=self._retry, sleep=self._http_sleep, pool_size=settings.max_in_flight)
        self.last_client = client
        push = MagentoPush(settings=settings, client=client, state=self._state, changes=self._changes,
                           clock=self._clock, poll_delays=self._poll_delays, checkpoint_every=self._checkpoint_every)
        return push.run(job, since=since)


def authenticator(settings: MagentoSettings, job: RunJob) -> Authenticator:
    """How the task logs in, with the secrets its settings name (a missing one fails the run, naming it)."""

    def secret(name: str) -> str:
        try:
            return job.secret(name)
        except NotFoundError as missing:
            raise WorkerFailure(f"the Magento credentials cannot be read: {missing}") from missing

    if settings.admin is not None:
        login = settings.admin
        return AdminToken(username=login.username, password=secret(login.password),
                          description=f"the admin user '{login.username}' (password in secret '{login.password}')")
    assert settings.access_token is not None  # the settings model requires one of the two
    token = settings.access_token
    if settings.oauth1 is not None:
        oauth = settings.oauth1
        credentials = OAuth1Credentials(consumer_key=secret(oauth.consumer_key),
                                        consumer_secret=secret(oauth.consumer_secret), token=secret(token),
                                        token_secret=secret(oauth.access_token_secret),
                                        signature_method=oauth.signature_method)
        return OAuth1Signer(credentials, description=(
            f"the integration's OAuth 1.0a signature (access token in secret '{token}', consumer key in secret "
            f"'{oauth.consumer_key}')"))
    return BearerToken(secret(token), description=f"the integration access token in secret '{token}'")
