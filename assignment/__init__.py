"""Neural networks and backpropagation from scratch, in numpy.

Write your code in activations.py, losses.py, two_layer.py and deep.py; data.py and
plots.py are provided. README.md in this folder is the handout.
"""
