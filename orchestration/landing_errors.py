"""The error for a landing file that cannot be loaded at all (a file-level problem)."""


class LandingFileError(Exception):
    """A landing file cannot be loaded at all; the message is meant for a person.

    It always names the file (relative to the landing folder) and what is
    wrong with it, so `sop run` and `sop validate` can print it as one line.
    """
