"""A small SAM template with throwaway functions (an authorizer, an echo API function, a broken one)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from moto import mock_aws
from pimtasks_local.deployer import deploy_template
from pimtasks_local.deployment import Deployment
from pimtasks_local.emulator import client_factory

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Environment:
      Variables:
        SHARED: shared-value
        CONFLICT: first
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: KeyAuth
        Authorizers:
          KeyAuth:
            FunctionArn: !GetAtt AuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [x-api-key], ReauthorizeEvery: 60}
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-auth"
      CodeUri: auth/
      Handler: app.handler
      Environment: {Variables: {POWERTOOLS_SERVICE_NAME: auth}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-echo"
      CodeUri: echo/
      Handler: app.handler
      Environment: {Variables: {POWERTOOLS_SERVICE_NAME: echo, CONFLICT: second, OWN: echo-only}}
      Events:
        Public: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /public, Method: GET, Auth: {Authorizer: NONE}}}
        Item: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/items/{item_id}", Method: GET}}
        Create: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items, Method: POST}}
        Special: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items/special, Method: GET}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-broken"
      CodeUri: broken/
      Handler: app.handler
"""

AUTHORIZER = '''
CALLS = []


def handler(event, context):
    CALLS.append(event)
    key = event["headers"].get("x-api-key")
    prefix = event["methodArn"].split("/", 1)[0] + "/v1"
    if key == "nope":
        raise Exception("Unauthorized")
    if key == "crash":
        raise RuntimeError("database down")
    statements = [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{prefix}/*"}]
    if key == "no-items":
        statements.append({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{prefix}/*/items/*"})
    if key == "other":
        statements = [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{prefix}/GET/public"}]
    return {"principalId": f"key-{key}", "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"admin": key == "admin", "environments": "000001", "count": 3}}
'''

ECHO = '''
import json
import pathlib
import time

OUT = pathlib.Path({out!r})


def handler(event, context):
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(event["sleep"])
    if isinstance(event, dict) and event.get("wait_for"):
        deadline = time.monotonic() + 10
        while not (OUT / event["wait_for"]).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    if isinstance(event, dict) and event.get("write"):
        # Written aside and renamed so a test polling for the file never reads it half-written.
        partial = OUT / (event["write"] + ".partial")
        partial.write_text(json.dumps(event))
        partial.replace(OUT / event["write"])
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    context_seen = {{"function_name": context.function_name, "memory": context.memory_limit_in_mb,
                    "arn": context.invoked_function_arn, "remaining": context.get_remaining_time_in_millis(),
                    "request_id": context.aws_request_id}}
    if isinstance(event, dict) and "httpMethod" in event:
        return {{"statusCode": 200, "headers": {{"Content-Type": "application/json"}},
                "multiValueHeaders": {{"X-Multi": ["a", "b"]}},
                "body": json.dumps({{"event": event, "context": context_seen}})}}
    return {{"echo": event, "context": context_seen}}
'''


def write_sample(directory: Path) -> Path:
    """The sample template and its function folders under ``directory``; returns the template path."""
    for name, source in (("auth", AUTHORIZER), ("echo", ECHO.format(out=str(directory))),
                         ("broken", "raise ImportError('this handler cannot be imported')\n")):
        (directory / name).mkdir(parents=True, exist_ok=True)
        (directory / name / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    path = directory / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def deploy_sample(directory: Path) -> Deployment:
    """Deploy the sample into a throwaway moto (the result is plain data, usable after moto is gone)."""
    template = write_sample(directory)
    with mock_aws():
        return deploy_template(template, stack_name="sample", parameters={},
                               clients=client_factory(None, region="eu-west-1"), mail_sender_parameter=None)
