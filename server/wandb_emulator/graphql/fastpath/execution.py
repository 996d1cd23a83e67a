"""A graphql-core executor that shares work across requests and completes fields with
direct resolvers itself.

graphql-core does two things per request that only depend on the document:
- it collects the fields of every selection set (fragments spread, `@include`/`@skip`
  applied), memoized within the request only;
- it completes every field through the same general path (a path entry, a resolve-info
  object, the resolver, then `complete_value` with its type dispatch), a few
  microseconds each, although most fields of an answer are leaves read straight off a
  record (`SourceField`s: a function of the object alone), `__typename`, or objects and
  lists a loader already knows.

A known document is parsed once (the document cache), so its field nodes are the same
objects in every request. This executor keys its work by those nodes' ids, keeping the
nodes alive while a key exists (so no other object can take an id): the collected
fields are shared across requests (with the values of the variables the document's
directives read), and each selection set gets a plan once, saying field by field how
to execute it:
- a leaf with a direct function: computed and coerced in the loop;
- a field of another direct resolver (a ContextField, a plain attribute): its value
  completed here when it is at hand (a leaf coerced, an object's or a list's
  sub-selections executed straight away), by graphql-core otherwise. An object's type
  is told as Strawberry tells it: by its `is_type_of` (an isinstance or cast check),
  and for an interface by the class of the value;
- anything else (arguments, unions, lists of an interface, Strawberry resolvers):
  graphql-core's `execute_field`.

Whatever is unusual about a value (a resolver that raises, a null for a non-null field,
a value the scalar refuses) goes to graphql-core's own completion, so errors, their
paths and null propagation are graphql-core's, unchanged (tests/test_execution.py
compares the two). Documents with `@defer`/`@stream` share no collected fields and
complete only leaves here.
"""

import inspect
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from .resolvers import DirectResolver

# What an inline leaf returns when graphql-core's path must complete it.
_GENERAL = object()
Inline = Callable[[Any], Any]
V = TypeVar("V")
INCREMENTAL_DIRECTIVES = frozenset({"defer", "stream"})
LEAF, OBJECT, LIST = "leaf", "object", "list"  # the kinds of `_ResolvedField`


# The object type a value is executed as (None: graphql-core's completion decides).
Runtime = Callable[[Any], GraphQLObjectType | None]


class _ResolvedField:
    """A field with a direct resolver, completed here when its value is at hand: a leaf
    (coerced), an object, or a list of non-null objects (their sub-selections executed
    straight away). `object_type` is the object's or the items' type; `runtime`, when
    set, says per value which object type it is (an interface's, or an object type's
    `is_type_of`)."""

    __slots__ = ("coerce", "definition", "item_type", "kind", "object_type", "resolve", "runtime")

    def __init__(
        self,
        definition: GraphQLField,
        resolve: Callable[[Any, Any], Any],
        kind: str,
        *,
        coerce: Callable[[Any], Any] | None = None,
        object_type: GraphQLObjectType | None = None,
        item_type: GraphQLOutputType | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.definition = definition
        self.resolve = resolve
        self.kind = kind
        self.coerce = coerce
        self.object_type = object_type
        self.item_type = item_type
        self.runtime = runtime


_Step = tuple[str, Inline | None, "_ResolvedField | None"]


class _Plan:
    """How to execute one selection set on one object type, field by field in selection
    order: a leaf computed by `compute`, a field completed by `_execute_resolved_field`,
    or (both None) graphql-core's `execute_field`."""

    __slots__ = ("steps",)

    def __init__(self, steps: tuple[_Step, ...]) -> None:
        self.steps = steps


# A selection set (pinned: its id is the key of this request's plans) and its plan.
_RequestPlan = tuple[GroupedFieldSet, _Plan]


class _PinnedCache(Generic[V]):
    """A bounded LRU map whose keys hold object ids; each entry keeps those objects
    alive, so an id in a key cannot be reused by another object while the key exists."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[object, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, pins: object, value: V) -> None:
        self._entries[key] = (pins, value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


class ExecutionPlans:
    """What one schema's requests share: per document, the variables its directives
    read; per selection set, its collected fields and its plan."""

    def __init__(self, size: int = 4096) -> None:
        # (names,): a document with @defer/@stream has None, which must not read as unknown
        self.directive_variables: _PinnedCache[tuple[tuple[str, ...] | None]] = _PinnedCache(size)
        self.subfields: _PinnedCache[tuple[CollectedFields, _RequestPlan]] = _PinnedCache(size)
        self.subfields_of_list: _PinnedCache[tuple[CollectedFields, _RequestPlan]] = _PinnedCache(
            size
        )
        self.plans: _PinnedCache[_Plan] = _PinnedCache(size)
        self._runtimes: dict[str, Runtime | None] = {}

    def runtime(self, schema: GraphQLSchema, interface: GraphQLInterfaceType) -> Runtime | None:
        """The object type of a value of `interface` (see `_interface_runtime`), one per
        interface of the schema."""
        if interface.name not in self._runtimes:
            self._runtimes[interface.name] = _interface_runtime(schema, interface)
        return self._runtimes[interface.name]


def executor_class(plans: ExecutionPlans) -> "type[InlineExecutor]":
    """The executor class of one schema, sharing `plans` across its requests."""
    return type("InlineExecutor", (InlineExecutor,), {"plans": plans})


def _selection_nodes(selection_set: SelectionSetNode | None) -> Iterator[Any]:
    for selection in selection_set.selections if selection_set else ():
        yield selection
        yield from _selection_nodes(getattr(selection, "selection_set", None))


def directive_variables(definitions: list[Any]) -> tuple[str, ...] | None:
    """The variables the directives of these definitions read (their values decide which
    fields are collected), or None if one is incremental (`@defer`, `@stream`)."""
    names: set[str] = set()
    for definition in definitions:
        for node in _selection_nodes(definition.selection_set):
            for directive in node.directives or ():
                if directive.name.value in INCREMENTAL_DIRECTIVES:
                    return None
                names.update(
                    argument.value.name.value
                    for argument in directive.arguments
                    if isinstance(argument.value, VariableNode)
                )
    return tuple(sorted(names))


class InlineExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with collected fields shared across requests and each
    selection set executed by its plan (see the module's docstring)."""

    plans: ExecutionPlans

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # This request's collected fields and plans, by the id of what they were made
        # from (graphql-core reuses a set for every object of a list), pinned with it.
        self._request_subfields: dict[tuple[Any, int], tuple[object, CollectedFields]] = {}
        self._request_plans: dict[int, _RequestPlan] = {}
        # Strawberry passes a manager every time; it wraps resolvers only if it has middleware.
        manager = self.middleware_manager
        self._inline_allowed = manager is None or not manager.middlewares
        self._sharing_key = self._directive_values()
        self._context_only = _ContextOnly(self.context_value)

    def _directive_values(self) -> tuple[Any, ...] | None:
        """What, besides the field nodes, decides this request's collected fields; None
        if they may not be shared."""
        operation = self.operation
        plans = self.plans.directive_variables
        known = plans.get(id(operation))
        if known is None:
            definitions = [operation, *self.fragment_definitions.values()]
            known = (directive_variables(definitions),)
            plans.put(id(operation), (operation, definitions), known)
        names = known[0]
        if names is None:
            return None
        values = tuple(self.variable_values.coerced.get(name) for name in names)
        try:
            hash(values)
        except TypeError:
            return None
        return values

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        known = self._request_subfields.get((return_type, id(field_details_list)))
        if known is not None:
            return known[1]
        collected = self._shared_subfields(return_type, field_details_list)
        self._request_subfields[(return_type, id(field_details_list))] = (
            field_details_list,
            collected,
        )
        return collected

    def _shared_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        """The collected fields, shared across requests where they may be, with their plan
        (known to this request from here on)."""
        if self._sharing_key is None or any(
            details.defer_usage is not None or details.fragment_variable_values is not None
            for details in field_details_list
        ):
            return super().collect_subfields(return_type, field_details_list)
        # A list made by a shared selection set is itself the same in every request.
        list_key = (return_type, self._sharing_key, id(field_details_list))
        shared = self.plans.subfields_of_list.get(list_key)
        if shared is None:
            nodes = tuple(details.node for details in field_details_list)
            key = (return_type, self._sharing_key, *map(id, nodes))
            shared = self.plans.subfields.get(key)
            if shared is None:
                collected = super().collect_subfields(return_type, field_details_list)
                if collected.new_defer_usages or collected.forbidden_directive_instances:
                    return collected
                shared = (collected, self._plan(return_type, collected.grouped_field_set))
                self.plans.subfields.put(key, nodes, shared)
            self.plans.subfields_of_list.put(list_key, field_details_list, shared)
        collected, known = shared
        self._request_plans[id(collected.grouped_field_set)] = known
        return collected

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, each field by its plan's way."""
        known = self._request_plans.get(id(grouped_field_set))
        if known is None:
            known = self._plan(parent_type, grouped_field_set)
        is_awaitable = self.is_awaitable
        results: dict[str, Any] = {}
        pending: list[str] = []
        try:
            for name, compute, field in known[1].steps:
                if compute is not None:
                    value = compute(source_value)
                    if value is not _GENERAL:
                        results[name] = value
                        continue
                    # graphql-core computes it again (a function of the object alone)
                    # and says what is wrong, located
                if field is not None:
                    value = self._execute_resolved_field(
                        field, parent_type, source_value, path, name, grouped_field_set[name]
                    )
                else:
                    value = self.execute_field(
                        parent_type,
                        source_value,
                        grouped_field_set[name],
                        Path(path, name, parent_type.name),
                        position_context,
                    )
                    if value is Undefined:
                        continue
                results[name] = value
                if is_awaitable(value):
                    pending.append(name)
        except Exception:
            if pending:  # settle them, as graphql-core does with its own
                self.settle_in_background([results[name] for name in pending])
            raise
        return _results_later(results, pending) if pending else results

    def _execute_resolved_field(
        self,
        field: _ResolvedField,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        name: str,
        field_details_list: FieldDetailsList,
    ) -> Any:
        """A field whose resolver graphql-core would call directly, completed straight
        away when its value is at hand (graphql-core's completion otherwise)."""
        field_path = Path(path, name, parent_type.name)
        return_type = field.definition.type
        try:
            value = field.resolve(source, self._context_only)
            if value is None or self.is_awaitable(value):
                return self._complete_resolved(
                    field, parent_type, field_details_list, field_path, value
                )
            if field.kind is LEAF:
                assert field.coerce is not None
                coerced = field.coerce(value)
                if coerced is None or coerced is Undefined:  # graphql-core says why
                    return self._complete_resolved(
                        field, parent_type, field_details_list, field_path, value
                    )
                return coerced
            object_type = field.object_type
            if field.kind is OBJECT:
                if field.runtime is not None:
                    object_type = field.runtime(value)
                if object_type is None:  # graphql-core says what it is, or what is wrong
                    return self._complete_resolved(
                        field, parent_type, field_details_list, field_path, value
                    )
                subfields = self.collect_subfields(object_type, field_details_list)
                completed = self.execute_fields(
                    object_type, value, field_path, subfields.grouped_field_set, None
                )
            elif not self._all_objects_of(field, value):
                return self._complete_resolved(
                    field, parent_type, field_details_list, field_path, value
                )
            else:
                assert object_type is not None
                subfields = self.collect_subfields(object_type, field_details_list)
                completed = self._execute_items(
                    field, value, field_path, field_details_list, subfields.grouped_field_set
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, field_path)
            return None
        if self.is_awaitable(completed):
            return self._await_field(completed, return_type, field_details_list, field_path)
        return completed

    @staticmethod
    def _all_objects_of(field: _ResolvedField, value: Any) -> bool:
        """Whether `value` is a list whose items are all objects of the field's item type."""
        if not isinstance(value, (list, tuple)) or any(item is None for item in value):
            return False
        runtime = field.runtime
        return runtime is None or all(runtime(item) is field.object_type for item in value)

    def _execute_items(
        self,
        field: _ResolvedField,
        items: Sequence[Any],
        path: Path,
        field_details_list: FieldDetailsList,
        grouped_field_set: GroupedFieldSet,
    ) -> Any:
        """The objects of a list (none null), as graphql-core completes them."""
        object_type, item_type = field.object_type, field.item_type
        assert object_type is not None and item_type is not None
        completed: list[Any] = []
        pending: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                try:
                    result = self.execute_fields(
                        object_type, item, item_path, grouped_field_set, None
                    )
                except Exception as raw_error:  # raised again, located: items are non-null
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    raise
                if self.is_awaitable(result):
                    result = self._await_field(result, item_type, field_details_list, item_path)
                    pending.append(index)
                completed.append(result)
        except Exception:
            if pending:
                self.settle_in_background([completed[index] for index in pending])
            raise
        return _items_later(completed, pending) if pending else completed

    def _complete_resolved(
        self,
        field: _ResolvedField,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
    ) -> Any:
        """graphql-core's completion of a value already resolved (as in `execute_field`)."""
        return_type = field.definition.type
        info = self.build_resolve_info(
            field.definition, to_nodes(field_details_list), parent_type, path
        )
        if self.is_awaitable(value):
            return self.complete_awaitable_value(
                return_type, field_details_list, info, path, value, None
            )
        completed = self.complete_value(return_type, field_details_list, info, path, value, None)
        if self.is_awaitable(completed):
            return self._await_field(completed, return_type, field_details_list, path)
        return completed

    async def _await_field(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> _RequestPlan:
        nodes = tuple(details[0].node for details in grouped_field_set.values())
        key = (parent_type, self._sharing_key is not None, *map(id, nodes))
        plan = self.plans.plans.get(key)
        if plan is None:
            plan = self._new_plan(parent_type, grouped_field_set, nodes)
            self.plans.plans.put(key, nodes, plan)
        known = (grouped_field_set, plan)
        self._request_plans[id(grouped_field_set)] = known
        return known

    def _new_plan(
        self,
        parent_type: GraphQLObjectType,
        grouped_field_set: GroupedFieldSet,
        nodes: tuple[FieldNode, ...],
    ) -> _Plan:
        steps: list[_Step] = []
        for name, node in zip(grouped_field_set, nodes, strict=True):
            way: Inline | _ResolvedField | None = None
            if not self._inline_allowed or node.arguments:
                way = None
            elif node.name.value == "__typename":
                way = _constant(parent_type.name)
            elif (field_def := self.schema.get_field(parent_type, node.name.value)) is not None:
                way = self._inline_way(field_def)
            if isinstance(way, _ResolvedField):
                steps.append((name, None, way))
            else:
                steps.append((name, way, None))
        return _Plan(tuple(steps))

    def _inline_way(self, field_def: GraphQLField) -> Inline | _ResolvedField | None:
        """How a field can be done here: a leaf of a function of the object alone by that
        function, a field of another direct resolver by `_execute_resolved_field`; None
        for graphql-core's path."""
        resolve = _direct_resolver(field_def)
        if resolve is None:
            return None
        named = get_nullable_type(field_def.type)
        if is_leaf_type(named) and not resolve.takes_info:
            return _inline_leaf(resolve.function, named, is_non_null_type(field_def.type))
        if is_leaf_type(named):
            return _ResolvedField(field_def, resolve, LEAF, coerce=named.coerce_output_value)
        if self._sharing_key is None:  # sub-selections may be deferred
            return None
        if isinstance(named, GraphQLInterfaceType):
            runtime = self.plans.runtime(self.schema, named)
            if runtime is None:
                return None
            return _ResolvedField(field_def, resolve, OBJECT, runtime=runtime)
        if isinstance(named, GraphQLObjectType):
            runtime = _object_runtime(named)
            if runtime is _UNKNOWN:
                return None
            return _ResolvedField(field_def, resolve, OBJECT, object_type=named, runtime=runtime)
        item_type = named.of_type if isinstance(named, GraphQLList) else None
        if is_non_null_type(item_type):
            item_object = get_nullable_type(item_type)
            if isinstance(item_object, GraphQLObjectType):
                runtime = _object_runtime(item_object)
                if runtime is _UNKNOWN:
                    return None
                return _ResolvedField(
                    field_def,
                    resolve,
                    LIST,
                    object_type=item_object,
                    item_type=item_type,
                    runtime=runtime,
                )
        return None


_UNKNOWN: Any = object()  # a type whose values this executor cannot tell: graphql-core's
_NO_INFO: Any = None  # what Strawberry's own `is_type_of` gets for the info it ignores


def _strawberry_definition(named: GraphQLNamedType) -> Any:
    return (named.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def _object_runtime(object_type: GraphQLObjectType) -> Runtime | None:
    """How to tell a value is of `object_type`: None when any value is (no `is_type_of`);
    Strawberry's own `is_type_of` (an isinstance or cast check that ignores the resolve
    info), asked directly; _UNKNOWN for a type's own `is_type_of`, which graphql-core asks."""
    is_type_of = object_type.is_type_of
    if is_type_of is None:
        return None
    definition = _strawberry_definition(object_type)
    if definition is None or definition.is_type_of is not None:
        return cast(Runtime, _UNKNOWN)

    def runtime(value: Any) -> GraphQLObjectType | None:
        return object_type if is_type_of(value, _NO_INFO) is True else None

    return runtime


def _interface_runtime(schema: GraphQLSchema, interface: GraphQLInterfaceType) -> Runtime | None:
    """The object type of a value of `interface`, as Strawberry's own `resolve_type`
    finds it: the type of the value's class, when that class implements the interface,
    remembered per class. Such a type has Strawberry's `is_type_of` (it implements an
    interface), asked per value, which refuses a value cast to another type with
    `strawberry.cast`. None for what graphql-core must decide: another class, a generic
    type, an interface with its own `resolve_type`, a type with its own `is_type_of`."""
    definition = _strawberry_definition(interface)
    if definition is None or definition.resolve_type is not None:
        return None
    origin = definition.origin
    by_class: dict[type, Runtime | None] = {}

    def of_class(cls: type) -> Runtime | None:
        found = getattr(cls, "__strawberry_definition__", None)
        if found is None or found.is_graphql_generic or not issubclass(cls, origin):
            return None
        object_type = schema.get_type(found.name)
        if not isinstance(object_type, GraphQLObjectType) or not schema.is_sub_type(
            interface, object_type
        ):
            return None
        check = _object_runtime(object_type)
        return None if check is _UNKNOWN else check

    def runtime(value: Any) -> GraphQLObjectType | None:
        cls = type(value)
        known = by_class[cls] if cls in by_class else by_class.setdefault(cls, of_class(cls))
        return None if known is None else known(value)

    return runtime


def _direct_resolver(field_def: GraphQLField) -> DirectResolver | None:
    """The direct resolver of a field without arguments (see `install_direct_resolvers`),
    unless its function is a coroutine function; None for any other resolver."""
    resolve = field_def.resolve
    if field_def.args or not isinstance(resolve, DirectResolver):
        return None
    if inspect.iscoroutinefunction(resolve.function):
        return None
    return resolve


class _ContextOnly:
    """What a `ContextField` function may use of the resolve info: the context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


def _constant(value: Any) -> Inline:
    return lambda source: value


def _inline_leaf(function: Inline, leaf_type: GraphQLLeafType, non_null: bool) -> Inline:
    coerce = leaf_type.coerce_output_value

    def compute(source: Any) -> Any:
        try:
            value = function(source)
            if value is None:
                return _GENERAL if non_null else None
            coerced = coerce(value)
        except Exception:
            return _GENERAL  # the general path raises it again, located
        if coerced is None or coerced is Undefined:
            return _GENERAL
        return coerced

    return compute


async def _items_later(completed: list[Any], pending: list[int]) -> list[Any]:
    """The list once its pending items are settled."""
    if len(pending) == 1:
        completed[pending[0]] = await completed[pending[0]]
    else:
        settled = await gather_with_cancel(*(completed[index] for index in pending))
        for index, result in zip(pending, settled, strict=True):
            completed[index] = result
    return completed


async def _results_later(results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
    """The answer once its pending fields are settled (graphql-core's `get_results`)."""
    if len(pending) == 1:
        results[pending[0]] = await results[pending[0]]
    else:
        settled = await gather_with_cancel(*(results[name] for name in pending))
        results.update(zip(pending, settled, strict=True))
    return results
