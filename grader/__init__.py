"""The grader of the backprop homework: the engine (grader/engine) and this homework's spec,
tasks and suites. `python -m grader grade SUBMISSION`."""
