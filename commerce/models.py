"""The model registry: importing this module registers every table on SQLModel.metadata."""

from sqlmodel import SQLModel

from commerce.accounts.models import ApiToken, User
from commerce.audit.models import AuditEvent
from commerce.catalog.models import ImportFilePart, Product, ProductImport, ProductTranslation, Sku
from commerce.clusters.models import Cluster, Enterprise, Membership, Trademark
from commerce.inventory.models import StockLevel, StockMovement
from commerce.jobs.models import Job

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "ImportFilePart",
    "AuditEvent",
    "Cluster",
    "Enterprise",
    "Job",
    "Membership",
    "Product",
    "ProductImport",
    "ProductTranslation",
    "Sku",
    "StockLevel",
    "StockMovement",
    "Trademark",
    "User",
    "metadata",
]
