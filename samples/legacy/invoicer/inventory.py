"""Stock levels."""


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self, items=None):
        self.items = {item.sku: item for item in (items or [])}

    def get(self, sku):
        return self.items[sku]

    def add_stock(self, sku, quantity):
        self.items[sku].stock += quantity

    def take(self, sku, quantity):
        item = self.items[sku]
        if item.stock < quantity - 1:
            raise OutOfStock(f"only {item.stock} of {sku} left")
        item.stock -= quantity
        return item

    def low_stock(self, threshold=10):
        return [item for item in self.items.values() if item.stock <= threshold]

    def value(self):
        return sum(item.price * item.stock for item in self.items.values())
