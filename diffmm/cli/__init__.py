"""The ``diffmm`` command line."""
