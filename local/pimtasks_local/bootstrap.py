"""First environment and admin API key of a freshly deployed stack (there is no key yet to call the API with).

    python -m pimtasks_local.bootstrap --stack-name pimtasks --environment 000001 --name "My company"

Reads the stack's outputs for the admin table, creates the environment and an admin key through the same
service the API uses, and prints the key once (only its hash is stored). Uses your normal AWS credentials.
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3


def stack_outputs(stack_name: str) -> dict[str, str]:
    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--environment", required=True, help="6-digit environment number, e.g. 000001")
    parser.add_argument("--name", required=True, help="the environment's display name")
    parser.add_argument("--timezone", default="Europe/Amsterdam")
    args = parser.parse_args(argv)

    os.environ["ADMIN_TABLE"] = stack_outputs(args.stack_name)["AdminTableName"]
    from pimtasks.errors import ConflictError
    from pimtasks.wiring import access_service, clear_caches

    clear_caches()
    service = access_service()
    try:
        service.create_environment(environment=args.environment, name=args.name, timezone=args.timezone)
    except ConflictError:
        print(f"environment {args.environment} exists already; issuing a new admin key for it")
    issued = service.issue_api_key(environments=[args.environment], admin=True, description="bootstrap admin")
    print(f"admin API key (shown once): {issued.api_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
