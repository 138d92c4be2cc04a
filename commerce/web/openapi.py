"""The OpenAPI 3.1 document and the browsable docs, served without the internet."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string
from flask_openapi3 import APIBlueprint, Info, OpenAPI, Tag
from flask_openapi3_swagger.templates import swagger_html_string

from commerce.web.problems import Problem, validation_problem

API_PREFIX = "/api/v1"
BEARER = [{"bearer": []}]
COMMON_RESPONSES = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def api_blueprint(name: str, import_name: str, *, tag: str, description: str, public: bool = False) -> APIBlueprint:
    """A blueprint of the v1 API: bearer-authenticated unless public, every error documented."""
    return APIBlueprint(
        name,
        import_name,
        url_prefix=API_PREFIX,
        abp_tags=[Tag(name=tag, description=description)],
        abp_security=[] if public else BEARER,
        abp_responses=COMMON_RESPONSES,
    )


def inline_schema(model: type) -> dict[str, Any]:
    """A model's JSON schema with its definitions written in place, for a response documented by hand."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


class CommerceAPI(OpenAPI):
    """The Flask application, with its OpenAPI document; error answers are problem+json."""

    def generate_spec_json(self) -> None:
        super().generate_spec_json()
        for operations in self.spec_json.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content: dict[str, Any] = response.get("content") or {}
                    if status >= "400" and content:
                        response["content"] = PROBLEM_CONTENT
        self.spec_json.get("components", {}).get("schemas", {}).pop("ValidationErrorModel", None)


def make_app(import_name: str, **flask_options: Any) -> CommerceAPI:
    """The application object with the API's metadata, security scheme and error shapes."""
    return CommerceAPI(
        import_name,
        info=Info(
            title="Cluster commerce API",
            version="1.0.0",
            description="Collective trademark, catalogue, livestreams, marketplace sync, customs and rebates "
            "of a county industrial cluster.",
        ),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        responses=COMMON_RESPONSES,
        validation_error_status=422,
        validation_error_model=Problem,
        validation_error_callback=lambda error: validation_problem(error),
        doc_prefix=API_PREFIX,
        doc_url="/openapi.json",
        **flask_options,
    )


def init_docs(app: Flask) -> None:
    """Browsable docs at /docs, with Swagger UI's files from the installed package."""
    page = swagger_html_string.replace('href="swagger/', f'href="{API_PREFIX}/swagger/').replace(
        'src="swagger/', f'src="{API_PREFIX}/swagger/'
    )

    @app.get("/docs", endpoint="browsable_docs", doc_ui=False)
    def docs():
        return render_template_string(
            page, doc_url=f"{API_PREFIX}/openapi.json", swagger_config={"deepLinking": True}, oauth_config=None
        )
