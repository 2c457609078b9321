class StripeSyncFailed(Exception):
    """Stripe refused or could not be reached while the catalog pushed `row` to it.

    The row itself is saved; it carries the error in its metadata until a push succeeds.
    """

    def __init__(self, row, message):
        self.row = row
        super().__init__(message)
