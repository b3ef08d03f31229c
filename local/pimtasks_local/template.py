"""Reading a CloudFormation/SAM template and evaluating its intrinsic functions.

``load_template`` parses YAML with the short-form tags (``!Ref``, ``!GetAtt``, ``!Sub``, ``!If`` ...) into
their long form (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``), so the rest of the code sees one shape.
``Evaluator`` resolves parameters (defaults, allowed values, overrides), conditions and intrinsic
functions; references to resources are answered by a ``ResourceLookup`` the deployer provides.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)
_SHORT_FORMS = (
    "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
    "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString",
)
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """The template cannot be read or evaluated (names the resource or function involved)."""


class _NoValue:
    """``AWS::NoValue``: the property it stands in for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class _TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that knows the CloudFormation short-form tags."""


def _construct(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise TemplateError(f"unsupported YAML node {node!r}")


def _long_form(function: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {function: _construct(node, loader)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct(node, loader)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


_TemplateLoader.add_constructor("!Ref", _long_form("Ref"))
_TemplateLoader.add_constructor("!Condition", _long_form("Condition"))
_TemplateLoader.add_constructor("!GetAtt", _get_att)
for _name in _SHORT_FORMS:
    _TemplateLoader.add_constructor(f"!{_name}", _long_form(f"Fn::{_name}"))


def load_template(path: str | Path) -> dict[str, Any]:
    """The template at ``path`` as plain data, short-form tags turned into their long form."""
    text = Path(path).read_text(encoding="utf-8")
    loaded = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass with extra tags
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return loaded


def resolve_parameters(template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parameter values: the overrides, else the defaults; checked against AllowedValues/AllowedPattern."""
    overrides = dict(overrides or {})
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"unknown parameter(s) {sorted(unknown)}; the template declares {sorted(declared)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no default; pass a value for it")
        value = str(raw)
        allowed = spec.get("AllowedValues")
        if allowed is not None and value not in [str(v) for v in allowed]:
            raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, value):
            raise TemplateError(f"parameter {name}={value!r} does not match {pattern}")
        if not int(spec.get("MinLength", 0)) <= len(value) <= int(spec.get("MaxLength", len(value))):
            raise TemplateError(f"parameter {name}={value!r} is not {spec.get('MinLength', 0)}-"
                                f"{spec.get('MaxLength', '')} characters long")
        if str(spec.get("Type", "String")).startswith(("CommaDelimitedList", "List<")):
            values[name] = [item.strip() for item in value.split(",")] if value else []
        else:
            values[name] = value
    return values


ResourceRef = Callable[[str], Any]
ResourceAttribute = Callable[[str, str], Any]


class Evaluator:
    """Evaluates conditions and intrinsic functions of one template.

    ``ref`` and ``get_att`` answer references to resources (``Ref`` / ``Fn::GetAtt`` / ``${X}`` /
    ``${X.Attr}`` in ``Fn::Sub``); they raise ``TemplateError`` for a resource that is not provisioned.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        ref: ResourceRef,
        get_att: ResourceAttribute,
    ) -> None:
        self._template = template
        self._values: dict[str, Any] = {**pseudo, **parameters}
        self._ref = ref
        self._get_att = get_att
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    def condition(self, name: str) -> bool:
        """The value of the named condition (evaluated once)."""
        if name in self._conditions:
            return self._conditions[name]
        declared = (self._template.get("Conditions") or {})
        if name not in declared:
            raise TemplateError(f"unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"condition {name} refers to itself")
        self._evaluating.add(name)
        try:
            value = self.resolve(declared[name])
        finally:
            self._evaluating.discard(name)
        if not isinstance(value, bool):
            raise TemplateError(f"condition {name} is not a boolean: {value!r}")
        self._conditions[name] = value
        return value

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated and ``AWS::NoValue`` entries removed."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self._resolve_ref(self.resolve(argument))
            if key == "Condition" and isinstance(argument, str):
                return self.condition(argument)
            if key.startswith("Fn::"):
                return self._function(key[4:], argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    # --- references ------------------------------------------------------------------------------

    def _resolve_ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref needs a name, got {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._values:
            return self._values[name]
        if name in (self._template.get("Resources") or {}):
            return self._ref(name)
        raise TemplateError(f"Ref to unknown parameter or resource {name}")

    def _attribute(self, resource: str, attribute: str) -> Any:
        if resource not in (self._template.get("Resources") or {}):
            raise TemplateError(f"Fn::GetAtt of unknown resource {resource}")
        return self._get_att(resource, attribute)

    # --- functions -------------------------------------------------------------------------------

    def _function(self, name: str, argument: Any) -> Any:
        handler = getattr(self, f"_fn_{name.lower()}", None)
        if handler is None:
            raise TemplateError(f"Fn::{name} is not supported by the local stack")
        return handler(argument)

    def _fn_getatt(self, argument: Any) -> Any:
        resolved = self.resolve(argument)
        if isinstance(resolved, str):
            resolved = resolved.split(".", 1)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise TemplateError(f"Fn::GetAtt needs [resource, attribute], got {argument!r}")
        return self._attribute(str(resolved[0]), str(resolved[1]))

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise TemplateError(f"Fn::Sub needs a string or [string, variables], got {argument!r}")
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}
        if not isinstance(text, str):
            raise TemplateError(f"Fn::Sub needs a string, got {text!r}")

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return _as_text(variables[expression])
            if expression in self._values or expression in (self._template.get("Resources") or {}):
                return _as_text(self._resolve_ref(expression))
            if "." in expression:
                resource, _, attribute = expression.partition(".")
                return _as_text(self._attribute(resource, attribute))
            raise TemplateError(f"Fn::Sub refers to unknown name {expression}")

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any) -> str:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) != 2 or not isinstance(resolved[1], list):
            raise TemplateError(f"Fn::Join needs [delimiter, [values]], got {argument!r}")
        return str(resolved[0]).join(_as_text(item) for item in resolved[1])

    def _fn_select(self, argument: Any) -> Any:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) != 2 or not isinstance(resolved[1], list):
            raise TemplateError(f"Fn::Select needs [index, [values]], got {argument!r}")
        index = int(resolved[0])
        if not 0 <= index < len(resolved[1]):
            raise TemplateError(f"Fn::Select index {index} is out of range")
        return resolved[1][index]

    def _fn_split(self, argument: Any) -> list[str]:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise TemplateError(f"Fn::Split needs [delimiter, string], got {argument!r}")
        return str(resolved[1]).split(str(resolved[0]))

    def _fn_findinmap(self, argument: Any) -> Any:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) not in (3, 4):
            raise TemplateError(f"Fn::FindInMap needs [map, key, key], got {argument!r}")
        mappings = self._template.get("Mappings") or {}
        try:
            return mappings[resolved[0]][resolved[1]][resolved[2]]
        except KeyError as exc:
            if len(resolved) == 4 and isinstance(resolved[3], dict) and "DefaultValue" in resolved[3]:
                return resolved[3]["DefaultValue"]
            raise TemplateError(f"Fn::FindInMap {resolved[:3]} has no value") from exc

    def _fn_getazs(self, argument: Any) -> list[str]:
        region = str(self.resolve(argument) or self._values["AWS::Region"])
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(_as_text(self.resolve(argument)).encode()).decode()

    def _fn_length(self, argument: Any) -> int:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list):
            raise TemplateError(f"Fn::Length needs a list, got {argument!r}")
        return len(resolved)

    def _fn_tojsonstring(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))

    def _fn_if(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(f"Fn::If needs [condition, then, else], got {argument!r}")
        return self.resolve(argument[1] if self.condition(str(argument[0])) else argument[2])

    def _fn_not(self, argument: Any) -> bool:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) != 1 or not isinstance(resolved[0], bool):
            raise TemplateError(f"Fn::Not needs [condition], got {argument!r}")
        return not resolved[0]

    def _fn_equals(self, argument: Any) -> bool:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise TemplateError(f"Fn::Equals needs [a, b], got {argument!r}")
        return _as_text(resolved[0]) == _as_text(resolved[1])

    def _fn_and(self, argument: Any) -> bool:
        return all(self._booleans("And", argument))

    def _fn_or(self, argument: Any) -> bool:
        return any(self._booleans("Or", argument))

    def _booleans(self, name: str, argument: Any) -> list[bool]:
        resolved = self.resolve(argument)
        if not isinstance(resolved, list) or not all(isinstance(item, bool) for item in resolved):
            raise TemplateError(f"Fn::{name} needs a list of conditions, got {argument!r}")
        return resolved


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_text(item) for item in value)
    return str(value)


def references(value: Any) -> set[str]:
    """Names that ``value`` refers to through Ref, Fn::GetAtt and Fn::Sub (parameters included)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1)[0] if isinstance(item, str) else item[0] if item else None
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                has_map = isinstance(item, list) and len(item) > 1 and isinstance(item[1], dict)
                local = set(item[1]) if has_map else set()
                if isinstance(text, str):
                    for expression in _SUB_VARIABLE.findall(text):
                        if not expression.startswith("!"):
                            name = expression.split(".", 1)[0]
                            if name not in local:
                                found.add(name)
                if isinstance(item, list):
                    found |= references(item[1:])
            else:
                found |= references(item)
    return found
