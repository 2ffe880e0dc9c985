"""Loading and saving the inventory and the invoice counter."""

import json
from pathlib import Path

from invoicer.models import Item

DATA = Path(__file__).resolve().parent.parent / "data"


def load_inventory(path=DATA / "inventory.json"):
    try:
        raw = json.loads(path.read_text())
    except Exception:
        return []
    return [Item(**entry) for entry in raw["items"]]


def save_inventory(items, path=DATA / "inventory.json"):
    data = {"items": [item.__dict__ for item in items]}
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def next_invoice_number(path=DATA / "counter.txt"):
    number = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(number))
    return number
