"""Stock refused. str(error) is the message shown to the shopper or staff."""


class NotEnoughStock(Exception):
    def __init__(self, *, name: str, available: int, restock: bool = False):
        self.name, self.available = name, available
        if restock:
            message = f"“{name}”: that is more than this order bought and has not put back already."
        elif available == 0:
            message = f"“{name}” is sold out."
        else:
            message = f"Only {available} left of “{name}”."
        super().__init__(message)
