"""Generate two large specs with the traits that break tools which inline references.

    python benchmarks/trait_specs.py --out DIR      # writes kubernetes-like.json and stripe-like.json

- **Kubernetes-like** (Swagger 2.0, about 4 MB, about 1,100 operations): resource kinds in API
  groups, each with ten operations (list, create, read, replace, patch, delete, delete collection,
  list across namespaces, read and replace status), shared path parameters by ``$ref``, long
  descriptions, and a ``JSONSchemaProps`` schema that is self-recursive many ways and has a
  *property named* ``$ref``.
- **Stripe-like** (OpenAPI 3.0, about 4 MB, about 400 operations): a strongly connected component
  of 68 schemas whose "expandable" fields are ``anyOf: [{type: string}, {$ref: ...}]``, form-encoded
  request bodies, list answers with ``data`` / ``has_more``, and actions (``POST /v1/x/{id}/cancel``).

The text is made up here; only the shapes follow the public descriptions. Deterministic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

_WORDS = ("the resource is kept by the server and changed only through this API; clients read it back "
          "to learn its state, and a controller moves it toward the desired state written in its spec. "
          "Fields that are not set take their defaults when the object is created. ")


# Real descriptions of these APIs are long (a paragraph per field); this factor brings both specs to about 4 MB.
VERBOSITY = 14


def _text(n: int, seed: int) -> str:
    words = _WORDS.split()
    return " ".join(words[(seed + i) % len(words)] for i in range(n * VERBOSITY)).capitalize() + "."


# ---------------------------------------------------------------- Kubernetes-like

def kubernetes_like(kinds: int = 110) -> dict[str, Any]:
    d: dict[str, Any] = {}
    ref = "#/definitions/"
    d["meta.ObjectMeta"] = {"type": "object", "description": _text(40, 1), "properties": {
        "name": {"type": "string", "description": _text(30, 2)},
        "namespace": {"type": "string", "description": _text(30, 3)},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}, "description": _text(30, 4)},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}, "description": _text(30, 5)},
        "ownerReferences": {"type": "array", "items": {"$ref": ref + "meta.OwnerReference"}, "description": _text(30, 6)},
        "creationTimestamp": {"type": "string", "format": "date-time", "description": _text(20, 7)},
        "generation": {"type": "integer", "format": "int64", "description": _text(20, 8)},
        "resourceVersion": {"type": "string", "description": _text(30, 9)},
        "uid": {"type": "string", "description": _text(20, 10)},
    }}
    d["meta.OwnerReference"] = {"type": "object", "required": ["apiVersion", "kind", "name", "uid"], "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}, "uid": {"type": "string"},
        "controller": {"type": "boolean"}}}
    d["meta.ListMeta"] = {"type": "object", "properties": {
        "continue": {"type": "string", "description": _text(40, 11)}, "resourceVersion": {"type": "string"},
        "remainingItemCount": {"type": "integer", "format": "int64"}}}
    d["meta.Status"] = {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "code": {"type": "integer", "format": "int32"},
        "message": {"type": "string"}, "reason": {"type": "string"}, "metadata": {"$ref": ref + "meta.ListMeta"}}}
    d["meta.Patch"] = {"type": "object", "description": "A patch: JSON patch, merge patch or strategic merge patch."}
    d["meta.LabelSelector"] = {"type": "object", "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {"type": "array", "items": {"type": "object", "required": ["key", "operator"], "properties": {
            "key": {"type": "string"}, "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
            "values": {"type": "array", "items": {"type": "string"}}}}}}}
    props = "apiextensions.JSONSchemaProps"
    d[props] = {"type": "object", "description": _text(60, 12), "properties": {
        "$ref": {"type": "string", "description": "A reference, written as a plain string field."},
        "$schema": {"type": "string"}, "id": {"type": "string"}, "type": {"type": "string"},
        "format": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "default": {"description": "Any JSON value."}, "example": {"description": "Any JSON value."},
        "enum": {"type": "array", "items": {"description": "Any JSON value."}},
        "required": {"type": "array", "items": {"type": "string"}},
        "nullable": {"type": "boolean"}, "maximum": {"type": "number", "format": "double"},
        "minimum": {"type": "number", "format": "double"}, "maxLength": {"type": "integer", "format": "int64"},
        "pattern": {"type": "string"},
        "properties": {"type": "object", "additionalProperties": {"$ref": ref + props}},
        "patternProperties": {"type": "object", "additionalProperties": {"$ref": ref + props}},
        "additionalProperties": {"$ref": ref + "apiextensions.JSONSchemaPropsOrBool"},
        "items": {"$ref": ref + "apiextensions.JSONSchemaPropsOrArray"},
        "allOf": {"type": "array", "items": {"$ref": ref + props}},
        "oneOf": {"type": "array", "items": {"$ref": ref + props}},
        "anyOf": {"type": "array", "items": {"$ref": ref + props}},
        "not": {"$ref": ref + props},
        "definitions": {"type": "object", "additionalProperties": {"$ref": ref + props}},
        "dependencies": {"type": "object", "additionalProperties": {"$ref": ref + "apiextensions.JSONSchemaPropsOrStringArray"}},
    }}
    d["apiextensions.JSONSchemaPropsOrBool"] = {"description": "A schema or a boolean.", "$ref_note": "x",
                                                 "allOf": [{"$ref": ref + props}]}
    d["apiextensions.JSONSchemaPropsOrArray"] = {"description": "A schema or an array of schemas.",
                                                  "allOf": [{"$ref": ref + props}]}
    d["apiextensions.JSONSchemaPropsOrStringArray"] = {"description": "A schema or a list of names.",
                                                        "allOf": [{"$ref": ref + props}]}
    d["apiextensions.CustomResourceValidation"] = {"type": "object", "properties": {
        "openAPIV3Schema": {"$ref": ref + props}}}
    d["apiextensions.CustomResourceDefinitionVersion"] = {"type": "object", "required": ["name", "served", "storage"],
                                                          "properties": {
        "name": {"type": "string"}, "served": {"type": "boolean"}, "storage": {"type": "boolean"},
        "schema": {"$ref": ref + "apiextensions.CustomResourceValidation"}}}
    d["apiextensions.CustomResourceDefinitionSpec"] = {"type": "object", "required": ["group", "names", "scope", "versions"],
                                                       "properties": {
        "group": {"type": "string"}, "scope": {"type": "string", "enum": ["Cluster", "Namespaced"]},
        "names": {"type": "object", "properties": {"plural": {"type": "string"}, "kind": {"type": "string"}}},
        "versions": {"type": "array", "items": {"$ref": ref + "apiextensions.CustomResourceDefinitionVersion"}}}}
    d["apiextensions.CustomResourceDefinition"] = {"type": "object", "required": ["spec"], "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"$ref": ref + "meta.ObjectMeta"},
        "spec": {"$ref": ref + "apiextensions.CustomResourceDefinitionSpec"},
        "status": {"type": "object", "properties": {"conditions": {"type": "array", "items": {"type": "object"}}}}}}
    d["apiextensions.CustomResourceDefinitionList"] = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"$ref": ref + "apiextensions.CustomResourceDefinition"}},
        "metadata": {"$ref": ref + "meta.ListMeta"}}}
    d["core.Container"] = {"type": "object", "required": ["name"], "description": _text(50, 13), "properties": {
        "name": {"type": "string", "description": _text(30, 14)}, "image": {"type": "string", "description": _text(40, 15)},
        "command": {"type": "array", "items": {"type": "string"}, "description": _text(40, 16)},
        "args": {"type": "array", "items": {"type": "string"}, "description": _text(40, 17)},
        "env": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "value": {"type": "string"}}}, "description": _text(30, 18)},
        "imagePullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]}}}
    parameters = {
        "namespace": {"name": "namespace", "in": "path", "required": True, "type": "string", "uniqueItems": True,
                      "description": "object name and auth scope, such as for teams and projects"},
        "pretty": {"name": "pretty", "in": "query", "type": "string", "uniqueItems": True, "description": _text(15, 19)},
        "dryRun": {"name": "dryRun", "in": "query", "type": "string", "uniqueItems": True, "description": _text(40, 20)},
        "fieldManager": {"name": "fieldManager", "in": "query", "type": "string", "description": _text(40, 21)},
        "labelSelector": {"name": "labelSelector", "in": "query", "type": "string", "description": _text(20, 22)},
        "limit": {"name": "limit", "in": "query", "type": "integer", "description": _text(60, 23)},
        "continue": {"name": "continue", "in": "query", "type": "string", "description": _text(60, 24)},
        "watch": {"name": "watch", "in": "query", "type": "boolean", "description": _text(20, 25)},
        "body-patch": {"name": "body", "in": "body", "required": True, "schema": {"$ref": ref + "meta.Patch"}},
    }
    pref = "#/parameters/"
    paths: dict[str, Any] = {}
    for k in range(kinds):
        group, kind = f"group{k % 12}", ("CustomResourceDefinition" if k == 0 else f"Kind{k:03d}")
        name = "apiextensions.CustomResourceDefinition" if k == 0 else f"{group}.v1.{kind}"
        if k:
            d[f"{name}Spec"] = {"type": "object", "description": _text(50, k), "properties": {
                "replicas": {"type": "integer", "format": "int32", "description": _text(30, k + 1)},
                "selector": {"$ref": ref + "meta.LabelSelector"},
                "containers": {"type": "array", "items": {"$ref": ref + "core.Container"}, "description": _text(40, k + 2)},
                "paused": {"type": "boolean", "description": _text(30, k + 3)},
                "strategy": {"type": "string", "enum": ["Recreate", "RollingUpdate"], "description": _text(30, k + 4)},
                "template": {"$ref": ref + f"{name}Spec"} if k % 7 == 0 else {"type": "object"}}}
            d[name] = {"type": "object", "description": _text(60, k + 5), "properties": {
                "apiVersion": {"type": "string", "description": _text(40, k + 6)},
                "kind": {"type": "string", "description": _text(40, k + 7)},
                "metadata": {"$ref": ref + "meta.ObjectMeta"}, "spec": {"$ref": ref + f"{name}Spec"},
                "status": {"type": "object", "properties": {
                    "observedGeneration": {"type": "integer", "format": "int64"},
                    "conditions": {"type": "array", "items": {"type": "object", "properties": {
                        "type": {"type": "string"}, "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                        "message": {"type": "string", "description": _text(30, k + 8)}}}}}}}}
            d[f"{name}List"] = {"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"$ref": ref + name}}, "metadata": {"$ref": ref + "meta.ListMeta"}}}
        base = f"/apis/{group}/v1/namespaces/{{namespace}}/{kind.lower()}s"
        one = {"$ref": ref + name}
        ok = {"200": {"description": "OK", "schema": one}, "401": {"description": "Unauthorized"}}
        body = {"name": "body", "in": "body", "required": True, "schema": one}
        common = [{"$ref": pref + "pretty"}]
        list_params = [{"$ref": pref + p} for p in ("labelSelector", "limit", "continue", "watch")]
        write = [{"$ref": pref + "dryRun"}, {"$ref": pref + "fieldManager"}]
        listed = {"200": {"description": "OK", "schema": {"$ref": ref + f"{name}List"}}}
        tags = [f"{group}_v1"]
        paths[base] = {
            "parameters": [{"$ref": pref + "namespace"}] + common,
            "get": {"operationId": f"listNamespaced{kind}", "tags": tags, "description": _text(20, k),
                    "parameters": list_params, "responses": listed},
            "post": {"operationId": f"createNamespaced{kind}", "tags": tags, "description": _text(20, k + 1),
                     "parameters": [body, *write], "responses": {**ok, "201": {"description": "Created", "schema": one}}},
            "delete": {"operationId": f"deleteCollectionNamespaced{kind}", "tags": tags, "description": _text(20, k + 2),
                       "parameters": list_params, "responses": {"200": {"description": "OK",
                                                                         "schema": {"$ref": ref + "meta.Status"}}}},
        }
        item = {"name": "name", "in": "path", "required": True, "type": "string", "description": f"name of the {kind}"}
        paths[base + "/{name}"] = {
            "parameters": [item, {"$ref": pref + "namespace"}] + common,
            "get": {"operationId": f"readNamespaced{kind}", "tags": tags, "responses": ok},
            "put": {"operationId": f"replaceNamespaced{kind}", "tags": tags, "parameters": [body, *write], "responses": ok},
            "patch": {"operationId": f"patchNamespaced{kind}", "tags": tags, "consumes": ["application/merge-patch+json"],
                      "parameters": [{"$ref": pref + "body-patch"}, *write], "responses": ok},
            "delete": {"operationId": f"deleteNamespaced{kind}", "tags": tags, "parameters": write,
                       "responses": {"200": {"description": "OK", "schema": {"$ref": ref + "meta.Status"}}}},
        }
        paths[base + "/{name}/status"] = {
            "parameters": [item, {"$ref": pref + "namespace"}] + common,
            "get": {"operationId": f"readNamespaced{kind}Status", "tags": tags, "responses": ok},
            "put": {"operationId": f"replaceNamespaced{kind}Status", "tags": tags, "parameters": [body, *write],
                    "responses": ok},
        }
        paths[f"/apis/{group}/v1/{kind.lower()}s"] = {
            "get": {"operationId": f"list{kind}ForAllNamespaces", "tags": tags, "parameters": list_params, "responses": listed},
        }
    return {"swagger": "2.0", "info": {"title": "Kubernetes-like (generated)", "version": "v1.36.0"},
            "paths": paths, "definitions": d, "parameters": parameters,
            "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
            "security": [{"BearerToken": []}]}


# ---------------------------------------------------------------- Stripe-like

def stripe_like(resources: int = 80, cycle: int = 68) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    ref = "#/components/schemas/"
    names = [f"resource_{i:03d}" for i in range(resources)]

    def expandable(target: str, seed: int) -> dict[str, Any]:
        return {"anyOf": [{"maxLength": 5000, "type": "string"}, {"$ref": ref + target}],
                "description": _text(25, seed), "x-expansionResources": {"oneOf": [{"$ref": ref + target}]}}

    for i, name in enumerate(names):
        fields: dict[str, Any] = {
            "id": {"type": "string", "maxLength": 5000, "description": "Unique identifier for the object."},
            "object": {"type": "string", "enum": [name], "description": "String representing the object's type."},
            "created": {"type": "integer", "format": "unix-time", "description": _text(20, i)},
            "livemode": {"type": "boolean", "description": _text(25, i + 1)},
            "metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500},
                         "nullable": True, "description": _text(40, i + 2)},
            "status": {"type": "string", "enum": ["active", "canceled", "incomplete", "past_due", "paused"],
                       "description": _text(30, i + 3)},
            "amount": {"type": "integer", "description": _text(30, i + 4)},
            "currency": {"type": "string", "format": "currency", "description": _text(20, i + 5)},
            "description": {"type": "string", "maxLength": 5000, "nullable": True, "description": _text(25, i + 6)},
        }
        if i < cycle:  # the strongly connected component: each links to the next and to two others
            for j, target in enumerate((names[(i + 1) % cycle], names[(i * 7 + 3) % cycle], names[(i * 13 + 5) % cycle])):
                fields[f"link_{j}"] = expandable(target, i + 10 + j)
            fields["latest"] = {"allOf": [{"$ref": ref + names[(i + 2) % cycle]}], "nullable": True,
                                "description": _text(30, i + 20)}
            fields["history"] = {"type": "object", "required": ["data", "has_more", "object", "url"], "properties": {
                "data": {"type": "array", "items": {"$ref": ref + names[(i + 5) % cycle]}},
                "has_more": {"type": "boolean"}, "object": {"type": "string", "enum": ["list"]},
                "url": {"type": "string", "maxLength": 5000}}, "description": _text(20, i + 21)}
        else:
            fields["owner"] = expandable(names[i % cycle], i + 30)
        schemas[name] = {"type": "object", "title": name.replace("_", " ").title(), "description": _text(60, i),
                         "required": ["id", "object", "created", "livemode"], "properties": fields,
                         "x-resourceId": name, "x-expandableFields": [k for k in fields if k.startswith("link_")]}
    schemas["error"] = {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "properties": {
        "type": {"type": "string", "enum": ["api_error", "card_error", "idempotency_error", "invalid_request_error"]},
        "message": {"type": "string", "maxLength": 40000}, "param": {"type": "string", "maxLength": 5000}}}}}
    error = {"default": {"description": "Error response.",
                         "content": {"application/json": {"schema": {"$ref": ref + "error"}}}}}
    expand = {"name": "expand", "in": "query", "style": "deepObject", "explode": True,
              "schema": {"type": "array", "items": {"type": "string", "maxLength": 5000}},
              "description": "Specifies which fields in the response should be expanded."}
    paths: dict[str, Any] = {}
    for i, name in enumerate(names):
        base = f"/v1/{name}s"
        one = {"200": {"description": "Successful response.",
                       "content": {"application/json": {"schema": {"$ref": ref + name}}}}, **error}
        listed = {"200": {"description": "Successful response.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["data", "has_more", "object", "url"], "title": f"{name}List", "properties": {
                "data": {"type": "array", "items": {"$ref": ref + name}}, "has_more": {"type": "boolean"},
                "object": {"type": "string", "enum": ["list"]}, "url": {"type": "string", "maxLength": 5000}}}}}}, **error}
        form = {"content": {"application/x-www-form-urlencoded": {"encoding": {"metadata": {"explode": True,
                                                                                          "style": "deepObject"}},
                                                                  "schema": {"type": "object", "additionalProperties": False,
                                                                             "properties": {
            "amount": {"type": "integer", "description": _text(20, i)},
            "currency": {"type": "string", "format": "currency", "description": _text(15, i)},
            "description": {"type": "string", "maxLength": 5000},
            "expand": {"type": "array", "items": {"type": "string", "maxLength": 5000}},
            "metadata": {"anyOf": [{"type": "object", "additionalProperties": {"type": "string"}},
                                   {"type": "string", "enum": [""]}]}}}}}, "required": False}
        page = [{"name": "limit", "in": "query", "schema": {"type": "integer"}, "description": _text(20, i)},
                {"name": "starting_after", "in": "query", "schema": {"type": "string", "maxLength": 5000}},
                {"name": "ending_before", "in": "query", "schema": {"type": "string", "maxLength": 5000}}, expand]
        ident = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 5000}}
        paths[base] = {
            "get": {"operationId": f"Get{name.title().replace('_', '')}s", "summary": f"List all {name}s",
                    "description": _text(40, i), "parameters": page, "responses": listed},
            "post": {"operationId": f"Post{name.title().replace('_', '')}s", "summary": f"Create a {name}",
                     "description": _text(40, i + 1), "requestBody": form, "responses": one},
        }
        paths[base + "/{id}"] = {
            "get": {"operationId": f"Get{name.title().replace('_', '')}sId", "summary": f"Retrieve a {name}",
                    "parameters": [ident, expand], "responses": one},
            "post": {"operationId": f"Post{name.title().replace('_', '')}sId", "summary": f"Update a {name}",
                     "parameters": [ident], "requestBody": form, "responses": one},
        }
        if i % 2 == 0:
            paths[base + "/{id}"]["delete"] = {"operationId": f"Delete{name.title().replace('_', '')}sId",
                                               "summary": f"Delete a {name}", "parameters": [ident], "responses": one}
        if i % 4 == 0:
            paths[base + "/{id}/cancel"] = {"post": {"operationId": f"Post{name.title().replace('_', '')}sIdCancel",
                                                     "summary": f"Cancel a {name}", "parameters": [ident],
                                                     "requestBody": form, "responses": one}}
    return {"openapi": "3.0.0", "info": {"title": "Stripe-like (generated)", "version": "2026-01-01"},
            "servers": [{"url": "https://api.example.invalid/"}], "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"}, "bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"basicAuth": []}, {"bearerAuth": []}]}


def write(directory: Path) -> dict[str, Path]:
    """Write both specs as JSON into ``directory``; return their paths by name."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, make in (("kubernetes-like", kubernetes_like), ("stripe-like", stripe_like)):
        path = directory / f"{name}.json"
        path.write_text(json.dumps(make()))
        out[name] = path
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("."))
    for name, path in write(parser.parse_args().out).items():
        print(f"{name}: {path} ({path.stat().st_size / 2**20:.1f} MB)")
