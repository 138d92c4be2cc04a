"""The model registry: importing this module registers every table on SQLModel.metadata."""

from sqlmodel import SQLModel

from commerce.accounts.models import ApiToken, User
from commerce.aftersales.models import AfterSale
from commerce.audit.models import AuditEvent
from commerce.catalog.models import ImportFilePart, Product, ProductImport, ProductTranslation, Sku
from commerce.clusters.models import Cluster, Enterprise, Membership, Trademark
from commerce.customs.models import (
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsExchangeRate,
    CustomsLineSource,
    CustomsMessage,
    CustomsPlatform,
    CustomsReceipt,
    ExportReturn,
    ListCancellation,
)
from commerce.inventory.models import StockLevel, StockMovement, StreamAllocation
from commerce.jobs.models import Job, RateAllowance
from commerce.listings.models import ChannelAccount, Listing, WebhookReceipt
from commerce.live.models import FlashSale, FlashSaleBuyer, LineupItem, Stream, StreamPin
from commerce.media.models import ProductImage
from commerce.orders.models import OrderLine, SalesOrder
from commerce.rebates.models import (
    CentralParityRate,
    ExportProceeds,
    InvoiceMatch,
    RebateClaim,
    RebateClaimLine,
    RebateProfile,
    RebateRate,
    RebateRefund,
    VatInvoice,
    VatInvoiceLine,
    VatReturn,
)
from commerce.reports.models import ExportStatistic, ExportStatisticPeriod, OutsideExport
from commerce.settlement.models import Agreement, Statement, StatementLine
from commerce.settlement.payout_models import MarketplacePayout, MarketplaceTransaction, PayoutDifference

metadata = SQLModel.metadata

__all__ = [
    "AfterSale",
    "ApiToken",
    "ImportFilePart",
    "AuditEvent",
    "ChannelAccount",
    "Cluster",
    "CustomsBatch",
    "CustomsBatchOrder",
    "CustomsDeclaration",
    "CustomsDeclarationLine",
    "CustomsExchangeRate",
    "CustomsLineSource",
    "CustomsMessage",
    "CustomsPlatform",
    "CustomsReceipt",
    "Enterprise",
    "ExportReturn",
    "ListCancellation",
    "FlashSale",
    "FlashSaleBuyer",
    "Job",
    "LineupItem",
    "Listing",
    "Membership",
    "OrderLine",
    "Product",
    "ProductImage",
    "ProductImport",
    "ProductTranslation",
    "RateAllowance",
    "SalesOrder",
    "Sku",
    "StockLevel",
    "StockMovement",
    "Stream",
    "StreamAllocation",
    "StreamPin",
    "Trademark",
    "User",
    "WebhookReceipt",
    "CentralParityRate",
    "ExportProceeds",
    "InvoiceMatch",
    "RebateClaim",
    "RebateClaimLine",
    "RebateProfile",
    "RebateRate",
    "RebateRefund",
    "VatInvoice",
    "VatInvoiceLine",
    "VatReturn",
    "ExportStatistic",
    "ExportStatisticPeriod",
    "OutsideExport",
    "Agreement",
    "Statement",
    "StatementLine",
    "MarketplacePayout",
    "MarketplaceTransaction",
    "PayoutDifference",
    "metadata",
]
