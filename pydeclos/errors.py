"""The base of every error a user can cause: the CLI prints it without a traceback."""


class PydeclosError(Exception):
    """A mistake in the user's input or environment.

    The message says what is wrong, where (file:line when known) and how to fix it.
    The CLI prints it and exits 1; `--debug` adds the traceback.
    """
