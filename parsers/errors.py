"""The one error type a user sees: a sentence that says what is wrong and what to do."""


class UserError(Exception):
    """Bad input the user can fix. The CLI prints the message (one sentence) and exits with status 1."""
