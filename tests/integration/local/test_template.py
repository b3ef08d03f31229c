"""The template loader and intrinsic functions (no AWS needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.template import Evaluator, TemplateError, load_template, references, resolve_parameters

TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: v1, AllowedValues: [v1, v2]}
  Sender: {Type: String, Default: ""}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  Sizes: {small: {memory: 128}}
Conditions:
  HasSender: !Not [!Equals [!Ref Sender, ""]]
  IsV1: !Equals [!Ref Stage, v1]
  Both: !And [!Condition HasSender, !Condition IsV1]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Name: !Sub "${AWS::StackName}-q-${Stage}"
      Arn: !GetAtt Queue.Arn
      ArnLong: {"Fn::GetAtt": [Queue, Arn]}
      Escaped: !Sub "${!NotAVariable}/${Queue.Arn}"
      WithMap: !Sub ["${Prefix}-${AWS::Region}", {Prefix: !Ref Stage}]
      Joined: !Join [",", [a, !Ref Stage, !Select [1, !Split ["/", "x/y/z"]]]]
      Memory: !FindInMap [Sizes, small, memory]
      Optional: !If [HasSender, !Ref Sender, !Ref AWS::NoValue]
      List: [one, !If [IsV1, !Ref "AWS::NoValue", two], three]
      Anchored: &shared {Key: !Ref Stage}
      Again: *shared
      Zones: !Ref Zones
      Base: !Base64 hello
"""


def _evaluator(template: dict[str, Any], **overrides: str) -> Evaluator:
    return Evaluator(
        template,
        parameters=resolve_parameters(template, overrides),
        pseudo={"AWS::StackName": "stack", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"},
        ref=lambda name: f"ref-of-{name}",
        get_att=lambda name, attribute: f"arn:{name}:{attribute}",
    )


@pytest.fixture
def template(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return load_template(path)


def test_short_form_tags_become_long_form(template: dict[str, Any]) -> None:
    props = template["Resources"]["Queue"]["Properties"]
    assert props["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-q-${Stage}"}
    assert props["Optional"]["Fn::If"][0] == "HasSender"
    assert props["Again"] == props["Anchored"]  # YAML anchors work as usual


def test_intrinsics_resolve_with_defaults(template: dict[str, Any]) -> None:
    props = _evaluator(template).resolve(template["Resources"]["Queue"]["Properties"])
    assert props["Name"] == "stack-q-v1"
    assert props["Arn"] == props["ArnLong"] == "arn:Queue:Arn"
    assert props["Escaped"] == "${NotAVariable}/arn:Queue:Arn"
    assert props["WithMap"] == "v1-eu-west-1"
    assert props["Joined"] == "a,v1,y"
    assert props["Memory"] == 128
    assert "Optional" not in props  # AWS::NoValue removes the property
    assert props["List"] == ["one", "three"]
    assert props["Zones"] == ["a", "b"]
    assert props["Base"] == "aGVsbG8="


def test_conditions_follow_parameter_overrides(template: dict[str, Any]) -> None:
    evaluator = _evaluator(template, Sender="me@example.com", Stage="v2")
    assert evaluator.condition("HasSender") is True
    assert evaluator.condition("IsV1") is False
    assert evaluator.condition("Both") is False
    props = evaluator.resolve(template["Resources"]["Queue"]["Properties"])
    assert props["Optional"] == "me@example.com"
    assert props["List"] == ["one", "two", "three"]


def test_parameter_values_are_checked(template: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="not one of"):
        resolve_parameters(template, {"Stage": "v3"})
    with pytest.raises(TemplateError, match="unknown parameter"):
        resolve_parameters(template, {"Nope": "x"})


def test_unknown_references_are_errors(template: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="unknown"):
        _evaluator(template).resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError, match="not supported"):
        _evaluator(template).resolve({"Fn::Cidr": ["10.0.0.0/16", 1, 8]})


def test_references_find_resource_dependencies(template: dict[str, Any]) -> None:
    found = references(template["Resources"]["Queue"]["Properties"])
    assert {"Queue", "Stage", "Sender", "Zones", "AWS::StackName"} <= found
    assert "NotAVariable" not in found and "Prefix" not in found


def test_the_real_template_loads() -> None:
    template = load_template(Path(__file__).resolve().parents[3] / "infra" / "template.yaml")
    assert "TasksTable" in template["Resources"]
