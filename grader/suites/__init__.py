"""The grader's test suites: public (shipped to students) and hidden (kept by instructors)."""
