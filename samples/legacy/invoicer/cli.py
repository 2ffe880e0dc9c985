import argparse
import sys

from invoicer.inventory import Inventory, OutOfStock
from invoicer.models import Invoice
from invoicer.pricing import format_money, invoice_total
from invoicer.storage import load_inventory, next_invoice_number, save_inventory


def print_invoice(invoice, out=sys.stdout):
    out.write(f"Invoice {invoice.number} for {invoice.customer}\n")
    for line in invoice.lines:
        out.write(f"  {line.quantity:>4} x {line.item.name:<30} {format_money(line.total())}\n")
    out.write(f"  Total (incl. tax): {format_money(invoice_total(invoice))}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="invoicer")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("stock")
    add = sub.add_parser("add-stock")
    add.add_argument("sku")
    add.add_argument("quantity", type=int)
    inv = sub.add_parser("invoice")
    inv.add_argument("customer")
    inv.add_argument("lines", nargs="+", help="SKU=QTY")
    args = parser.parse_args(argv)

    inventory = Inventory(load_inventory())
    if args.command == "stock":
        for item in inventory.items.values():
            print(f"{item.sku:<8} {item.stock:>5}  {item.name}")
        return 0
    if args.command == "add-stock":
        inventory.add_stock(args.sku, args.quantity)
        save_inventory(inventory.items.values())
        return 0

    invoice = Invoice(args.customer, number=next_invoice_number())
    for spec in args.lines:
        sku, qty = spec.split("=")
        try:
            invoice.add(inventory.take(sku, int(qty)), int(qty))
        except OutOfStock as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    save_inventory(inventory.items.values())
    print_invoice(invoice)
    return 0
