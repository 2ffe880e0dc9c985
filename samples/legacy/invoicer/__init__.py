"""invoicer: stock keeping and invoices for a small shop."""

__version__ = "0.4.2"
