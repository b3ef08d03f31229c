"""The web console in the template (CloudFront + a private bucket), read as CloudFormation gets it: every API route
reaches API Gateway through the distribution, the bucket is readable by this distribution only, the security
headers are the ones the local stack serves, and ``EnableConsole=false`` leaves all of it out."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.console_files import CONSOLE_DIR, security_headers
from pimtasks_local.sam_transform import transformed_template
from pimtasks_local.template import load_template

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "infra" / "template.yaml"
CONSOLE_RESOURCES = {"ConsoleBucket", "ConsoleBucketPolicy", "ConsoleOriginAccessControl",
                     "ConsoleResponseHeadersPolicy", "ConsoleDistribution"}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(transformed_template(TEMPLATE)["Resources"])


@pytest.fixture(scope="module")
def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(resources["ConsoleDistribution"]["Properties"]["DistributionConfig"])


def api_routes() -> list[str]:
    functions = load_template(TEMPLATE)["Resources"]
    return [event["Properties"]["Path"] for resource in functions.values()
            for event in (resource.get("Properties", {}).get("Events") or {}).values() if event.get("Type") == "Api"]


def origin_of(distribution: dict[str, Any], path: str) -> str:
    """The origin CloudFront sends ``path`` to: the first behaviour whose pattern matches, else the default."""
    for behavior in distribution["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, behavior["PathPattern"]):
            return str(behavior["TargetOriginId"])
    return str(distribution["DefaultCacheBehavior"]["TargetOriginId"])


def test_every_api_route_goes_to_api_gateway_and_every_console_file_to_the_bucket(
        distribution: dict[str, Any]) -> None:
    routes = api_routes()
    assert len(routes) >= 20
    concrete = [re.sub(r"\{[^}]+\}", "x", route) for route in routes]
    assert {path: origin_of(distribution, path) for path in concrete} == {path: "api" for path in concrete}
    files = ["/" + str(p.relative_to(CONSOLE_DIR)) for p in CONSOLE_DIR.rglob("*") if p.is_file()]
    assert "/index.html" in files
    assert {f: origin_of(distribution, f) for f in files} == {f: "console" for f in files}


def test_the_api_is_never_cached_and_gets_the_callers_key(distribution: dict[str, Any]) -> None:
    [api] = [o for o in distribution["Origins"] if o["Id"] == "api"]
    assert api["OriginPath"] == {"Fn::Sub": "/${StageName}"}
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    for behavior in distribution["CacheBehaviors"]:
        assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", behavior["PathPattern"]
        # all viewer headers (x-api-key) but Host, which must be API Gateway's own
        assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac", behavior["PathPattern"]
        assert {"POST", "PUT", "PATCH", "DELETE"} <= set(behavior["AllowedMethods"])


def test_the_bucket_is_private_and_read_by_this_distribution_only(resources: dict[str, Any],
                                                                   distribution: dict[str, Any]) -> None:
    bucket = resources["ConsoleBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    [origin] = [o for o in distribution["Origins"] if o["Id"] == "console"]
    assert origin["OriginAccessControlId"] == {"Ref": "ConsoleOriginAccessControl"}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    allows = [s for s in resources["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
              if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    source = allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${ConsoleDistribution}") and "arn:${AWS::Partition}" in source


def test_the_security_headers_are_the_ones_the_local_stack_serves(resources: dict[str, Any]) -> None:
    config = resources["ConsoleResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    policy = " ".join(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"].split())
    local = security_headers(upload_origins="https://*.amazonaws.com")
    assert policy == local["Content-Security-Policy"]
    assert config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == local["X-Frame-Options"]
    assert config["SecurityHeadersConfig"]["ReferrerPolicy"]["ReferrerPolicy"] == local["Referrer-Policy"]


def test_enable_console_false_leaves_the_console_out() -> None:
    template = load_template(TEMPLATE)
    conditional = {name for name, r in template["Resources"].items() if r.get("Condition") == "ConsoleEnabled"}
    assert conditional == CONSOLE_RESOURCES
    outputs = {name for name, o in template["Outputs"].items() if o.get("Condition") == "ConsoleEnabled"}
    assert outputs == {"ConsoleUrl", "ConsoleBucketName"}
    assert template["Conditions"]["ConsoleEnabled"] == {"Fn::Equals": [{"Ref": "EnableConsole"}, "true"]}
    cors = template["Resources"]["FilesBucket"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert cors[0] == "ConsoleEnabled" and cors[2] == {"Ref": "AWS::NoValue"}
