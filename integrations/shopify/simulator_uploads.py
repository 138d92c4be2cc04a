"""The simulated shop's staged uploads: signed form targets it hands out and then serves itself, as
Google Cloud Storage does for Shopify (``stagedUploadsCreate``, then a POST of the file)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

from flask import request

STAGED_UPLOAD_PATH = "/shopify-staged-uploads"


class StagedUploads:
    """Part of ``ShopifySimulator``: its ``staged`` objects, signed with its ``staging_secret``."""

    staged: dict[str, bytes]
    staging_secret: bytes

    def _field_stagedUploadsCreate(self, variables: dict) -> dict:
        targets, errors = [], []
        url = request.host_url.rstrip("/") + STAGED_UPLOAD_PATH
        for index, entry in enumerate(variables.get("input") or []):
            if entry.get("httpMethod") != "POST" or not str(entry.get("mimeType", "")).startswith("image/"):
                errors.append(
                    {"field": ["input", str(index)], "message": "This shop stages images by POST form uploads."}
                )
                continue
            key = f"tmp/{uuid.uuid4().hex}/{entry['filename']}"
            expires = time.time() + 3600
            terms = {"key": key, "Content-Type": entry["mimeType"], "expires": expires}
            policy = base64.b64encode(json.dumps(terms).encode()).decode()
            parameters = {
                "Content-Type": entry["mimeType"],
                "success_action_status": "201",
                "acl": "private",
                "key": key,
                "x-goog-algorithm": "GOOG4-HMAC-SHA256",
                "x-goog-credential": "shopify-staged-uploads/auto/storage/goog4_request",
                "x-goog-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
                "x-goog-signature": hmac.new(self.staging_secret, policy.encode(), hashlib.sha256).hexdigest(),
                "policy": policy,
            }
            targets.append(
                {
                    "url": url,
                    "resourceUrl": f"{url}/{key}",
                    "parameters": [{"name": name, "value": value} for name, value in parameters.items()],
                }
            )
        if errors:
            return {"stagedTargets": None, "userErrors": errors}
        return {"stagedTargets": targets, "userErrors": []}

    def _staged_upload(self):
        """A form upload to a staged target: accepted only as signed, before it expires, with the file last."""
        form, upload = request.form, request.files.get("file")

        def refused(code: str, message: str, status: int = 403):
            body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
            body += "</Error>"
            return body, status, {"Content-Type": "application/xml"}

        policy = form.get("policy", "")
        expected = hmac.new(self.staging_secret, policy.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(form.get("x-goog-signature", ""), expected):
            return refused("SignatureDoesNotMatch", "The request signature we calculated does not match.")
        terms = json.loads(base64.b64decode(policy))
        if form.get("key") != terms["key"] or form.get("Content-Type") != terms["Content-Type"]:
            return refused("AccessDenied", "Invalid according to Policy: Policy Condition failed.")
        if time.time() > terms["expires"]:
            return refused("AccessDenied", "Invalid according to Policy: Policy expired.")
        if upload is None:
            return refused("InvalidArgument", "The file field must be the last field of the form.", 400)
        data = upload.read()
        self.staged[terms["key"]] = data
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><PostResponse>"
            f"<Bucket>shopify-staged-uploads</Bucket><Key>{terms['key']}</Key>"
            f'<ETag>"{hashlib.md5(data).hexdigest()}"</ETag></PostResponse>'
        )
        return body, 201, {"Content-Type": "application/xml"}
