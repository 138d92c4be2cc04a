"""Shopify's official Admin GraphQL schemas, and the requested cost of a document by Shopify's published rules.

The schemas are the introspection files npm's ``@shopify/dev-mcp`` ships (copied in
``../shared/reference/shopify/``, or the folder ``COMMERCE_SHOPIFY_SCHEMA_DIR`` names). The cost
follows shopify.dev's "GraphQL Admin API rate limits": a scalar or enum costs nothing, an object
1 point, an interface or union the most of its possible selections, a connection 2 points plus
its page size (``first`` or ``last``) times what each of its items selects (its ``pageInfo`` comes
with the 2), and a mutation 10 points plus what its answer selects. Written here from those rules,
apart from the client whose documents it judges.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
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
    validate,
    value_from_ast_untyped,
)
from graphql.execution.values import get_variable_values

from integrations.shopify.simulator import load_admin_schema

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "shopify"


def schema_folder() -> Path:
    folder = Path(os.environ.get("COMMERCE_SHOPIFY_SCHEMA_DIR") or SHARED)
    assert (folder / "admin_2026-10.json.gz").exists(), f"Shopify's official schemas are needed in {folder}"
    return folder


@cache
def admin_schema(version: str) -> GraphQLSchema:
    return load_admin_schema(schema_folder() / f"admin_{version}.json.gz")


def problems(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> list[str]:
    """What the schema says is wrong with a document and the variables sent with it."""
    parsed = parse(document)
    found = [error.message for error in validate(schema, parsed)]
    if found:
        return found
    operation = next(node for node in parsed.definitions if isinstance(node, OperationDefinitionNode))
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    return [error.message for error in coerced] if isinstance(coerced, list) else []


def requested_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> int:
    parsed = parse(document)
    fragments = {node.name.value: node for node in parsed.definitions if isinstance(node, FragmentDefinitionNode)}
    operation = next(node for node in parsed.definitions if isinstance(node, OperationDefinitionNode))
    mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    total = 0
    for field in _fields(operation.selection_set, fragments):
        definition = root.fields[field.name.value]
        cost = _field_cost(schema, definition.type, field, variables, fragments)
        # A mutation costs 10 in place of the 1 of the object it answers.
        total += cost + 9 if mutation else cost
    return total


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


def _selection_cost(schema, named, selection_set, variables, fragments) -> int:
    if is_abstract_type(named):
        return max(
            (
                _selection_cost(schema, possible, selection_set, variables, fragments)
                for possible in schema.get_possible_types(named)
            ),
            default=0,
        )
    total = 0
    for field in _fields(selection_set, fragments):
        if field.name.value == "__typename":
            continue
        definition = named.fields[field.name.value]
        total += _field_cost(schema, definition.type, field, variables, fragments)
    return total


def _field_cost(schema, field_type, field: FieldNode, variables, fragments) -> int:
    named = get_named_type(field_type)
    if is_leaf_type(named):
        return 0
    if named.name.endswith("Connection"):
        size = _argument(field, "first", variables) or _argument(field, "last", variables) or 0
        item = 0
        for part in _fields(field.selection_set, fragments):
            if part.name.value == "nodes":
                node_type = get_named_type(named.fields["nodes"].type)
                item += 1 + _selection_cost(schema, node_type, part.selection_set, variables, fragments)
            elif part.name.value == "edges":
                edge_type = get_named_type(named.fields["edges"].type)
                item += _selection_cost(schema, edge_type, part.selection_set, variables, fragments)
        return 2 + int(size) * item
    return 1 + _selection_cost(schema, named, field.selection_set, variables, fragments)
