from dataclasses import dataclass, field


@dataclass
class Item:
    sku: str
    name: str
    price: float
    stock: int = 0


@dataclass
class Line:
    item: Item
    quantity: int

    def total(self):
        return self.item.price * self.quantity


@dataclass
class Invoice:
    customer: str
    lines: list = field(default_factory=list)
    number: int = 0

    def add(self, item, quantity):
        for line in self.lines:
            if line.item.sku == item.sku:
                line.quantity = quantity
                return
        self.lines.append(Line(item, quantity))

    def subtotal(self):
        return sum(line.total() for line in self.lines)
