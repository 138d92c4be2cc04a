"""The gateway in memory, for service tests: the same office the simulator serves, called directly."""

from __future__ import annotations

from integrations.customs import ReceiptPage
from integrations.single_window.office import CustomsOffice


class FakeGateway:
    def __init__(self, office: CustomsOffice | None = None):
        self.office = office or CustomsOffice()

    def submit(self, *, kind: str, guid: str, body: str) -> None:
        self.office.receive(body)

    def receipts(self, *, after: str | None, limit: int = 100) -> ReceiptPage:
        return self.office.receipts(after=after, limit=limit)
