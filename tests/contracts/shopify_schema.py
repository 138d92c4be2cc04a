"""Shopify's official Admin GraphQL schemas, and what they say of a document.

The schemas are the introspection files npm's ``@shopify/dev-mcp`` ships (copied in
``../shared/reference/shopify/``, or the folder ``COMMERCE_SHOPIFY_SCHEMA_DIR`` names).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from integrations.shopify.query_cost import actual_cost, requested_cost
from integrations.shopify.simulator import load_admin_schema

__all__ = ["actual_cost", "admin_schema", "problems", "requested_cost", "schema_folder"]

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
