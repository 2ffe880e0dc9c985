from invoicer.models import Invoice, Item
from invoicer.pricing import invoice_total


def test_subtotal_sums_lines():
    pen = Item("PEN-01", "Pen", 1.2, 100)
    book = Item("NB-A5", "Notebook", 3.5, 10)
    invoice = Invoice("Ada")
    invoice.add(pen, 2)
    invoice.add(book, 1)
    assert invoice.subtotal() == 2 * 1.2 + 3.5


def test_total_includes_german_vat():
    invoice = Invoice("Ada")
    invoice.add(Item("NB-A5", "Notebook", 10.0, 10), 1)
    assert invoice_total(invoice, "DE") == 11.9
