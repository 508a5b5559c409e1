"""Generate a large Swagger 2.0 spec: N operations over N/5 resources, recursive schemas,
enums, nested objects, paginated lists. Deterministic for a given N.

    python benchmarks/large_spec.py [--operations 1000] [--out large.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def make_spec(operations: int = 1000) -> dict[str, Any]:
    resources = max(1, operations // 5)
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {
        "TreeNode": {"type": "object", "properties": {
            "id": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/definitions/TreeNode"}},
            "parent": {"$ref": "#/definitions/TreeNode"}}},
        "Owner": {"type": "object", "properties": {"username": {"type": "string"}, "email": {"type": "string"},
                                                   "manager": {"$ref": "#/definitions/Owner"}}},
        "Status": {"type": "string", "enum": ["ACTIVE", "PAUSED", "DELETED", "FAILED"]},
        "Error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}},
    }
    count = 0
    for r in range(resources):
        name = f"Widget{r:04d}"
        plural = f"widgets{r:04d}"
        definitions[name] = {"type": "object", "description": f"Resource {r}", "properties": {
            "id": {"type": "string", "readOnly": True}, "name": {"type": "string"},
            "status": {"$ref": "#/definitions/Status"}, "owner": {"$ref": "#/definitions/Owner"},
            "tree": {"$ref": "#/definitions/TreeNode"}, "size": {"type": "integer", "format": "int64"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "settings": {"type": "object", "properties": {f"option_{i}": {"type": "string"} for i in range(5)}}}}
        definitions[f"List{name}Response"] = {"type": "object", "properties": {
            plural: {"type": "array", "items": {"$ref": f"#/definitions/{name}"}}, "next_page_token": {"type": "string"}}}
        item = {"name": f"{name[0].lower()}{name[1:]}_id", "in": "path", "required": True, "type": "string"}
        ops = {
            ("get", f"/v1/{plural}"): {
                "operationId": f"List{name}s",
                "summary": f"List {plural}",
                "parameters": [
                    {"name": "page_size", "in": "query", "type": "integer", "format": "int32"},
                    {"name": "page_token", "in": "query", "type": "string"},
                    {"name": "status", "in": "query", "type": "string", "enum": ["ACTIVE", "PAUSED", "DELETED", "FAILED"]},
                ],
                "responses": {"200": {"description": "ok", "schema": {"$ref": f"#/definitions/List{name}Response"}}},
            },
            ("post", f"/v1/{plural}"): {
                "operationId": f"Create{name}",
                "summary": f"Create a {name}",
                "parameters": [{"name": "body", "in": "body", "required": True, "schema": {"$ref": f"#/definitions/{name}"}}],
                "responses": {"200": {"description": "ok", "schema": {"$ref": f"#/definitions/{name}"}}},
            },
            ("get", f"/v1/{plural}/{{{item['name']}}}"): {
                "operationId": f"Get{name}",
                "summary": f"Get a {name}",
                "parameters": [item],
                "responses": {"200": {"description": "ok", "schema": {"$ref": f"#/definitions/{name}"}}},
            },
            ("patch", f"/v1/{plural}/{{{item['name']}}}"): {
                "operationId": f"Update{name}",
                "summary": f"Update a {name}",
                "parameters": [
                    item,
                    {"name": "body", "in": "body", "required": True, "schema": {"$ref": f"#/definitions/{name}"}},
                ],
                "responses": {"200": {"description": "ok", "schema": {"$ref": f"#/definitions/{name}"}}},
            },
            ("delete", f"/v1/{plural}/{{{item['name']}}}"): {
                "operationId": f"Delete{name}",
                "summary": f"Delete a {name}",
                "parameters": [item],
                "responses": {
                    "200": {"description": "ok"},
                    "default": {"description": "error", "schema": {"$ref": "#/definitions/Error"}},
                },
            },
        }
        for (method, path), op in ops.items():
            if count >= operations:
                break
            paths.setdefault(path, {})[method] = op
            count += 1
    return {
        "swagger": "2.0",
        "info": {"title": f"Large generated API ({operations} operations)", "version": "1.0"},
        "paths": paths,
        "definitions": definitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("large-spec.json"))
    args = parser.parse_args()
    args.out.write_text(json.dumps(make_spec(args.operations)))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB, {args.operations} operations)")


if __name__ == "__main__":
    main()
