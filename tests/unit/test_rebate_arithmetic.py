"""The worked examples of domain.md's export VAT rebate section, in exact decimals."""

from decimal import Decimal

import pytest

from commerce.rebates.arithmetic import ExportLine, exempt_credit_refund, invoice_refund, share_of


@pytest.mark.parametrize(("rate", "refund"), [("0.13", "65000.00"), ("0.09", "45000.00")])
def test_a_trading_firm_is_refunded_the_invoice_amount_times_the_rate(rate, refund):
    assert invoice_refund(Decimal("500000"), Decimal(rate)) == Decimal(refund)


def test_the_nine_percent_rate_leaves_twenty_thousand_as_cost():
    assert invoice_refund(Decimal("500000"), Decimal("0.13")) - invoice_refund(
        Decimal("500000"), Decimal("0.09")
    ) == Decimal("20000.00")


# FOB USD 100,000 at 7.10 is RMB 710,000; VAT 13%, rebate 9%; domestic output VAT 26,000.
EXPORT = ExportLine(fob_cny=Decimal("710000.00"), vat_rate=Decimal("0.13"), rebate_rate=Decimal("0.09"))


def test_a_manufacturer_with_more_credit_than_the_refund_carries_the_rest_over():
    result = exempt_credit_refund([EXPORT], output_vat=Decimal("26000"), input_vat=Decimal("120000"))

    assert (result.not_creditable, result.tax_payable) == (Decimal("28400.00"), Decimal("-65600.00"))
    assert result.exempt_credit_refund == Decimal("63900.00")
    assert (result.refund, result.credited_off, result.carried_over) == (
        Decimal("63900.00"),
        Decimal("0.00"),
        Decimal("1700.00"),
    )


def test_a_manufacturer_with_little_credit_has_the_rest_credited_off():
    result = exempt_credit_refund([EXPORT], output_vat=Decimal("26000"), input_vat=Decimal("60000"))

    assert result.tax_payable == Decimal("-5600.00")
    assert (result.refund, result.credited_off, result.carried_over) == (
        Decimal("5600.00"),
        Decimal("58300.00"),
        Decimal("0.00"),
    )


def test_credit_carried_in_lowers_the_tax_payable():
    result = exempt_credit_refund(
        [EXPORT], output_vat=Decimal("26000"), input_vat=Decimal("60000"), carried_in=Decimal("1700")
    )

    assert (result.tax_payable, result.refund, result.credited_off) == (
        Decimal("-7300.00"),
        Decimal("7300.00"),
        Decimal("56600.00"),
    )


def test_tax_still_payable_means_no_refund_and_everything_credited_off():
    result = exempt_credit_refund([EXPORT], output_vat=Decimal("200000"), input_vat=Decimal("60000"))

    assert (result.tax_payable, result.refund, result.credited_off, result.carried_over) == (
        Decimal("168400.00"),
        Decimal("0.00"),
        Decimal("63900.00"),
        Decimal("0.00"),
    )


def test_shares_handed_out_in_turn_add_up_to_the_whole():
    parts = [share_of(Decimal("100.00"), 1, 3, before=before) for before in range(3)]

    assert parts == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]
    assert sum(parts) == Decimal("100.00")
