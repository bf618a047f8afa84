"""The hidden tests: random inputs drawn at grading time, compared with the reference."""
