"""A business rule said no. Views and the API turn it into a 4xx with its Chinese message."""


class RuleViolation(Exception):
    """`code` is machine-readable and stable; `message` is the full sentence a user reads."""

    status_code = 400

    def __init__(self, code: str, message, *, status_code: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        if status_code is not None:
            self.status_code = status_code
