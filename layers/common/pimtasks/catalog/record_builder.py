"""Catalog records from values already validated field by field: the import's fast path.

A full ``model_validate`` costs about 6 µs per sales condition, as much as reading the row from the
spreadsheet. An import sees the same few values over and over (one currency, fifty customer groups, a
thousand prices), so it validates each *distinct* cell value once per column with the field's own
annotated type (``field_validator``; the caller memoizes), and per row only applies the model's rules
across fields (``record_problem``) and fills the defaults (``build``).

Exactness: a field's annotated type and ``record_problem`` are *all* the rules a catalog model has (see
``pimtasks.catalog.models``), so a record built here equals the one ``model_validate`` returns for the
same values, down to its JSON. ``RecordBuilder`` refuses a model with decorator validators it could not
apply. When ``build`` returns None the row is not valid, and the caller validates it the normal way to
get pydantic's detailed errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache
from types import NoneType, UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticUndefined, SchemaValidator

from pimtasks.catalog.models import CatalogRecord

RecordT = TypeVar("RecordT", bound=CatalogRecord)

_REQUIRED = object()
"""Template value of a required field: a row without it is not built here."""


class UnsupportedModelError(TypeError):
    """The model has rules outside its field types and ``record_problem``."""


class RecordBuilder(Generic[RecordT]):
    """Builds ``model`` records from ``{field: validated value}``; one per model, reused for every row."""

    def __init__(self, model: type[RecordT]) -> None:
        _check_supported(model)
        self.model = model
        self._template: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], Any]] = {}
        for name, info in model.model_fields.items():
            if info.default_factory is not None:
                self._template[name] = _REQUIRED
                self._factories[name] = info.default_factory  # type: ignore[assignment]
            elif info.default is PydanticUndefined:
                self._template[name] = _REQUIRED
            else:
                self._template[name] = info.default
        self._required = tuple(name for name, value in self._template.items() if value is _REQUIRED
                               and name not in self._factories)
        self._size = len(self._template)
        self._incomplete = self._required or self._factories or None
        self._validators: dict[str, Callable[[Any], Any]] = {}
        self._list_validators: dict[str, Callable[[list[Any]], list[Any]]] = {}
        self._problem = model.record_problem
        self.text_fields = frozenset(name for name, info in model.model_fields.items() if _text_only(info.annotation))
        """Fields whose valid values are always ``str`` (never an enum or a number)."""

    def field_validator(self, name: str) -> Callable[[Any], Any]:
        """Validates one value of field ``name`` exactly as the model would; raises ``ValidationError``."""
        validator = self._validators.get(name)
        if validator is None:
            adapter: TypeAdapter[Any] = TypeAdapter(self._annotation(name))
            # The core validator itself: TypeAdapter.validate_python's wrapper costs a third of a call.
            core = adapter.validator
            validator = core.validate_python if isinstance(core, SchemaValidator) else adapter.validate_python
            self._validators[name] = validator
        return validator

    def field_list_validator(self, name: str) -> Callable[[list[Any]], list[Any]]:
        """Validates a list of values of field ``name`` in one call (the field's rules on each)."""
        validator = self._list_validators.get(name)
        if validator is None:
            adapter: TypeAdapter[list[Any]] = TypeAdapter(list.__class_getitem__(self._annotation(name)))
            core = adapter.validator
            validator = core.validate_python if isinstance(core, SchemaValidator) else adapter.validate_python
            self._list_validators[name] = validator
        return validator

    def _annotation(self, name: str) -> Any:
        info = self.model.model_fields[name]
        return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation

    def build(
        self, values: Mapping[str, Any] | Iterable[tuple[str, Any]], fields: AbstractSet[str], partial: bool = False
    ) -> RecordT | None:
        """The record of ``values`` (each valid for its field; ``fields`` their names), None if it breaks a rule."""
        return self.build_many([(values, fields)], partial)[0]

    def build_many(
        self, rows: Iterable[tuple[Mapping[str, Any] | Iterable[tuple[str, Any]], AbstractSet[str]] | None],
        partial: bool = False,
    ) -> list[RecordT | None]:
        """``build`` for each row (None stays None): one loop, as this runs once per imported row."""
        template, size, incomplete, problem = self._template, self._size, self._incomplete, self._problem
        construct = self._construct
        records: list[RecordT | None] = []
        append = records.append
        for row in rows:
            if row is None:
                append(None)
                continue
            values = template.copy()
            values.update(row[0])  # keys already in the template keep the model's field order
            if (
                len(values) != size  # a name that is not a field: model_validate words the error
                or (incomplete is not None and not self._completed(values))
                or problem(values, partial)
            ):
                append(None)
            else:
                append(construct(values, set(row[1])))
        return records

    def _completed(self, values: dict[str, Any]) -> bool:
        """Fill the factory defaults; False when a required field is missing."""
        for name in self._required:
            if values[name] is _REQUIRED:
                return False
        for name, factory in self._factories.items():
            if values[name] is _REQUIRED:
                values[name] = factory()
        return True

    def _construct(self, values: dict[str, Any], fields_set: set[str]) -> RecordT:
        # What ``BaseModel.model_construct`` does, without its per-field loop (it costs more than a
        # validation): set BaseModel's four slots. tests/unit/imports/test_record_builder.py holds the
        # result to model_validate's, so a pydantic upgrade that changes them fails there.
        record = _new(self.model)
        _set_dict(record, values)
        _set_fields_set(record, fields_set)
        _set_extra(record, None)
        _set_private(record, None)
        return record


_new = object.__new__
# BaseModel.__slots__ is ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__");
# their descriptors set them past the frozen model's __setattr__, a little faster than object.__setattr__.
_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__


@lru_cache(maxsize=8)  # one per catalog model
def builder_for(model: type[RecordT]) -> RecordBuilder[RecordT]:
    """The (shared) builder of ``model``: its field validators are compiled once per process."""
    return RecordBuilder(model)


def _text_only(annotation: Any) -> bool:
    """``str``, ``Annotated[str, ...]``, ``str | None``: a valid value is a plain ``str`` (or None)."""
    if annotation is str:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _text_only(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        options = [option for option in get_args(annotation) if option is not NoneType]
        return bool(options) and all(_text_only(option) for option in options)
    return False


def _check_supported(model: type[CatalogRecord]) -> None:
    decorators = model.__pydantic_decorators__
    extra_model_rules = [name for name in decorators.model_validators if name != "_record_rules"]
    others = [*decorators.field_validators, *decorators.root_validators, *decorators.validators, *extra_model_rules]
    if others:
        raise UnsupportedModelError(
            f"{model.__name__} has validators {others}; put field rules in the field's annotated type "
            "and rules across fields in record_problem, so that imports apply them too"
        )
    if model.model_config.get("extra") != "forbid" or model.__pydantic_post_init__ is not None:
        raise UnsupportedModelError(f"{model.__name__} needs extra='forbid' and no model_post_init")
