"""Test doubles for the local stack's machinery: a fake clock, a recording function host, handler files."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimtasks_local.deployment import FunctionSpec


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


@dataclass
class Call:
    function: str
    event: Any


@dataclass
class RecordingInvoker:
    """Stands in for the function host: records every invocation; ``fail`` decides which ones raise."""

    functions: dict[str, str]  # function name -> ARN
    calls: list[Call] = field(default_factory=list)
    fail: Callable[[Call], bool] = lambda call: False
    reply: Callable[[Call], Any] = lambda call: None

    def find(self, name_or_arn: str) -> FunctionSpec | None:
        name = name_or_arn.rsplit(":", 1)[-1] if ":function:" in name_or_arn else name_or_arn
        if name not in self.functions:
            return None
        return FunctionSpec(logical_id=name, function_name=name, arn=self.functions[name], code_uri=Path("."),
                            handler="app.handler", timeout_seconds=3, memory_mb=128, environment={})

    def invoke(self, name_or_arn: str, event: Any, *, log_failure: bool = True) -> Any:
        from pimtasks_local.functions import FunctionError

        call = self._record(name_or_arn, event)
        if self.fail(call):
            raise FunctionError(call.function, RuntimeError("boom"))
        return self.reply(call)

    def invoke_async(self, name_or_arn: str, event: Any) -> Future[Any]:
        call = self._record(name_or_arn, event)
        future: Future[Any] = Future()
        if self.fail(call):
            future.set_exception(RuntimeError("boom"))
        else:
            future.set_result(self.reply(call))
        return future

    def _record(self, name_or_arn: str, event: Any) -> Call:
        spec = self.find(name_or_arn)
        assert spec is not None, f"unknown function {name_or_arn}"
        call = Call(spec.function_name, event)
        self.calls.append(call)
        return call


def write_function(directory: Path, source: str) -> Path:
    """A handler file ``app.py`` in ``directory`` (created), for templates under tmp_path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return directory
