"""The grading engine of the backprop assignment: `python -m grader grade SUBMISSION`."""

__version__ = '0.1.0'
