"""The cost of a GraphQL Admin document by Shopify's published rules ("GraphQL Admin API rate limits").

A scalar or enum costs nothing, an object 1 point, an interface or union the most of its possible
selections, a connection 2 points plus its page size (``first`` or ``last``) times what each of
its items selects (its ``pageInfo`` comes with the 2), and a mutation 10 points plus what its
answer selects. That is the requested cost, taken from the bucket before a call runs; once it has
run, the same rules over the answer (a connection's real number of items) give the actual cost,
and the difference is given back. Written from those rules, apart from the client it judges.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    parse,
    value_from_ast_untyped,
)

_UNKNOWN = object()


def requested_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> int:
    """What a document may cost, before it runs: every connection as full as it asks for."""
    return _cost(schema, document, variables, _UNKNOWN)


def actual_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any], data: dict[str, Any]) -> int:
    """What a document cost, given its answer's ``data``: connections as full as they came."""
    return _cost(schema, document, variables, data)


@lru_cache(maxsize=256)
def _parsed(document: str):
    return parse(document)


def _cost(schema: GraphQLSchema, document: str, variables: dict[str, Any], data: Any) -> int:
    parsed = _parsed(document)
    fragments = {node.name.value: node for node in parsed.definitions if isinstance(node, FragmentDefinitionNode)}
    operation = next(node for node in parsed.definitions if isinstance(node, OperationDefinitionNode))
    mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    walk = _Walk(schema, variables, fragments)
    total = 0
    for field in _fields(operation.selection_set, fragments):
        definition = root.fields[field.name.value]
        cost = walk.field(definition.type, field, _value(data, field))
        # A mutation costs 10 in place of the 1 of the object it answers.
        total += cost + 9 if mutation else cost
    return total


def _value(data: Any, field: FieldNode) -> Any:
    if data is _UNKNOWN:
        return _UNKNOWN
    if not isinstance(data, dict):
        return None
    return data.get(field.alias.value if field.alias else field.name.value)


def _fields(selection_set, fragments) -> list[FieldNode]:
    found = []
    for selection in selection_set.selections if selection_set else []:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields(selection.selection_set, fragments)
        else:
            found += _fields(fragments[selection.name.value].selection_set, fragments)
    return found


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or []:
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


class _Walk:
    def __init__(self, schema: GraphQLSchema, variables: dict[str, Any], fragments):
        self.schema = schema
        self.variables = variables
        self.fragments = fragments

    def selection(self, named, selection_set, data: Any) -> int:
        if is_abstract_type(named):
            return max(
                (self.selection(possible, selection_set, data) for possible in self.schema.get_possible_types(named)),
                default=0,
            )
        total = 0
        for field in _fields(selection_set, self.fragments):
            if field.name.value == "__typename" or field.name.value not in named.fields:
                continue
            total += self.field(named.fields[field.name.value].type, field, _value(data, field))
        return total

    def field(self, field_type, field: FieldNode, data: Any) -> int:
        named = get_named_type(field_type)
        if is_leaf_type(named):
            return 0
        if data is None:
            return 0
        if named.name.endswith("Connection"):
            return 2 + self.connection_items(named, field, data)
        if isinstance(data, list):
            return sum(1 + self.selection(named, field.selection_set, item) for item in data)
        return 1 + self.selection(named, field.selection_set, data)

    def connection_items(self, named, field: FieldNode, data: Any) -> int:
        if data is _UNKNOWN:
            size = _argument(field, "first", self.variables) or _argument(field, "last", self.variables) or 0
            return int(size) * self.item(named, field, _UNKNOWN, _UNKNOWN)
        nodes = (data or {}).get("nodes") or []
        edges = (data or {}).get("edges") or []
        return sum(
            self.item(named, field, node, edge)
            for node, edge in zip(nodes or [None] * len(edges), edges or [None] * len(nodes), strict=True)
        )

    def item(self, named, field: FieldNode, node: Any, edge: Any) -> int:
        cost = 0
        for part in _fields(field.selection_set, self.fragments):
            if part.name.value == "nodes":
                node_type = get_named_type(named.fields["nodes"].type)
                cost += 1 + self.selection(node_type, part.selection_set, node)
            elif part.name.value == "edges":
                edge_type = get_named_type(named.fields["edges"].type)
                cost += self.selection(edge_type, part.selection_set, edge)
        return cost
