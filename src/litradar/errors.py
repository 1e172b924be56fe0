"""The one exception type the command line turns into a one-line message and exit code 1."""


class LitradarError(Exception):
    """A problem the user can fix (bad input, missing file, empty index); never a bug."""
