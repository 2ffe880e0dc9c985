"""Tax and discounts."""

import os

TAX_RATES = {"DE": 0.19, "FR": 0.20, "NL": 0.21, "AT": 0.20}
BULK_THRESHOLD = 100  # units of one item
BULK_DISCOUNT = 0.05


def tax_rate(region=None):
    region = region or os.environ.get("INVOICER_TAX_REGION", "DE")
    return TAX_RATES.get(region, 0.0)


def line_discount(line):
    if line.quantity > BULK_THRESHOLD:
        return line.total() * BULK_DISCOUNT
    return 0


def invoice_total(invoice, region=None):
    subtotal = invoice.subtotal()
    tax = subtotal * tax_rate(region)
    discount = sum(line_discount(line) for line in invoice.lines)
    return round(subtotal + tax - discount, 2)


def format_money(amount):
    return "%.2f EUR" % amount
