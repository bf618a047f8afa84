"""The grading engine: it grades submissions to any assignment described by a spec (spec.py)."""

__version__ = '0.2.0'
