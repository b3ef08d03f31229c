"""Run the FTPS gateway on its own (the local stack starts it in-process instead).

    AWS_ENDPOINT_URL=http://127.0.0.1:4566 python -m pimtasks_local.ftps_gateway \\
        --bucket <files bucket> --admin-table <admin table> --tasks-table <tasks table> \\
        --port 2121 --passive-ports 30000-30019

With ``--tasks-table`` uploads go only into the folders of imports with ``ftps_upload`` on, as in the local
stack; without it any import folder is writable (for measuring the transport alone).

Prints one JSON line (``{"port": ..., "certificate": ...}``) on stdout when it is ready, then serves until
SIGINT/SIGTERM. Endpoint and credentials come from the usual AWS variables.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.aws_clients import client
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
from pimtasks.adapters.task_repository import TaskRepository
from pimtasks.clock import SystemClock
from pimtasks.services.ftps_users import FtpsUserService
from pimtasks.services.tasks import TaskService

from pimtasks_local.ftps_gateway.server import GatewayOptions, start_ftps_gateway


def _port_range(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pimtasks_local.ftps_gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2121)
    parser.add_argument("--passive-ports", type=_port_range, default=range(30000, 30020), metavar="FIRST-LAST")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--admin-table", required=True)
    parser.add_argument("--tasks-table", help="enforce each import's ftps_upload setting (read from this table)")
    parser.add_argument("--state-dir", type=Path, default=Path(".pimtasks/ftps"))
    parser.add_argument("--part-size-mib", type=int, default=8)
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    users = FtpsUserService(store=FtpsUserRepository(table=DynamoTable(table_name=args.admin_table)),
                            clock=SystemClock())
    tasks = (TaskService(tasks=TaskRepository(table=DynamoTable(table_name=args.tasks_table)),
                         environments=AdminRepository(table=DynamoTable(table_name=args.admin_table)),
                         clock=SystemClock()) if args.tasks_table else None)
    options = GatewayOptions(part_size=args.part_size_mib << 20,
                             import_folders=tasks.import_folders if tasks else None)
    gateway = start_ftps_gateway(host=args.host, port=args.port, passive_ports=args.passive_ports,
                                 bucket=args.bucket, s3_client=client("s3"), user_service=users,
                                 state_dir=args.state_dir, options=options)
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(json.dumps({"port": gateway.port, "certificate": str(gateway.certificate_path)}), flush=True)
    stopped.wait()
    gateway.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
