"""Strawberry's argument conversion, planned once per argument type.

For every field it resolves, Strawberry turns graphql-core's coerced arguments into
Python values (`strawberry.types.arguments.convert_argument`): input objects become their
dataclasses, lists are copied, enums and scalars stay as graphql-core parsed them. It
decides how by inspecting the types again on every request, resolving each input field's
annotation each time: for a mutation with a 20-field input object, a fifth of its cost.
`converter` makes the same decisions once, at schema build, and returns a function that
only does the converting. Where the plan would not follow Strawberry (`Maybe`, relay's
`GlobalID`, input types that build their own value, anything unknown) it returns None
and the field stays with Strawberry.
"""

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types import base
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

# `Maybe` (a StrawberryOptional) came with later Strawberry releases than the oldest we allow.
StrawberryMaybe: Any = getattr(base, "StrawberryMaybe", ())

Convert = Callable[[Any], Any]


def unchanged(value: Any) -> Any:
    return value


def converter(
    type_: Any, scalar_registry: Mapping[object, Any], config: StrawberryConfig
) -> Convert | None:
    """A function doing what `convert_argument(value, type_, ...)` does, or None."""
    return _Planner(scalar_registry, config).plan(type_)


class _Planner:
    def __init__(self, scalar_registry: Mapping[object, Any], config: StrawberryConfig) -> None:
        self.scalar_registry = scalar_registry
        self.config = config
        self._plans: dict[type, Convert] = {}  # input types planned (or being planned)

    def plan(self, type_: Any) -> Convert | None:
        if isinstance(type_, StrawberryMaybe):
            return None
        if isinstance(type_, StrawberryOptional):
            return self.plan(type_.of_type)
        if isinstance(type_, StrawberryList):
            return self._list(type_)
        if self._is_leaf(type_):
            return None if type_ is GlobalID else unchanged
        if isinstance(type_, LazyType):
            return self.plan(type_.resolve_type())
        if has_enum_definition(type_):
            return unchanged  # graphql-core gives the member; Strawberry keeps it
        if has_object_definition(type_):
            return self._input_object(type_)
        return None

    def _is_leaf(self, type_: Any) -> bool:
        return is_scalar(type_, self.scalar_registry) or isinstance(type_, StrawberryEnumDefinition)

    def _list(self, type_: StrawberryList) -> Convert | None:
        convert_item = self.plan(type_.of_type)
        if convert_item is None:
            return None
        if convert_item is unchanged:
            # Copied: graphql-core hands the same default list to every request.
            return _guarded(list)
        return _guarded(lambda values: [convert_item(value) for value in values])

    def _input_object(self, cls: Any) -> Convert | None:
        if cls in self._plans:  # planned, or a recursive input type being planned
            return self._plans[cls]
        definition = cls.__strawberry_definition__
        if not definition.is_input or definition.from_input is not None:
            return None
        fields: list[tuple[str, str, Convert]] = []
        # Nullable fields without a default are None unless given (graphql-core has
        # checked that required ones are given), as Strawberry sets them.
        implicit = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }

        def build(value: Mapping[str, Any]) -> Any:
            arguments = dict(implicit)
            for name, python_name, convert_field in fields:
                if name in value:
                    arguments[python_name] = convert_field(value[name])
            return cls(**arguments)

        # Entered before its fields are planned, so a field of its own type finds it; if
        # a field cannot be planned, neither can any argument that contains this type.
        self._plans[cls] = plan = _guarded(build)
        for field in definition.fields:
            convert_field = self.plan(field.resolve_type(type_definition=definition))
            if convert_field is None:
                return None
            fields.append(
                (self.config.name_converter.from_field(field), field.python_name, convert_field)
            )
        return plan


def _guarded(convert: Convert) -> Convert:
    """`convert`, except that null and unset stay as they are (as in Strawberry)."""

    def guarded(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return convert(value)

    return guarded
