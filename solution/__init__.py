"""Reference implementation of the backprop assignment.

The single source of the student skeleton: `make assignment` copies these modules
into assignment/, replacing every block between solution markers with a stub.
"""
