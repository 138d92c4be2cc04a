"""What the rebate pages' uploads share: a file field, and the count of rows recorded."""

from __future__ import annotations

from flask_openapi3 import FileStorage
from pydantic import BaseModel

from commerce.catalog.errors import MissingFile


class FileForm(BaseModel):
    file: FileStorage


class Recorded(BaseModel):
    recorded: int


class Queued(BaseModel):
    job_id: int


def uploaded_file(form: FileForm):
    if form.file is None or not form.file.filename:
        raise MissingFile(field="file")
    return form.file
