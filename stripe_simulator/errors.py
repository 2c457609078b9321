"""Stripe-shaped API errors.

Raised anywhere in the simulator and turned into the JSON error body the
stripe SDK parses (`{"error": {"type", "code", "doc_url", "message", "param"}}`).
"""


class StripeError(Exception):
    """An API error with the HTTP status and fields Stripe would send."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param

    def to_dict(self) -> dict:
        """The JSON body of the error response."""
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def resource_missing(kind: str, object_id: str, param: str, status: int = 400) -> StripeError:
    """An unknown id: 404 when it is the resource in the URL, 400 when referenced by a param."""
    return StripeError(f"No such {kind}: '{object_id}'", status=status, code="resource_missing", param=param)


def parameter_missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_unknown(param: str) -> StripeError:
    return StripeError(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def invalid_integer(param: str, value: object) -> StripeError:
    return StripeError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
