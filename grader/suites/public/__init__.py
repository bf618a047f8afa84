"""The public tests: fixed inputs, shipped to students with the skeleton."""
