"""Data helpers for the neural-networks-from-scratch assignment.

Every loader returns float64 features and int64 labels, so your network code never has to
guess dtypes. Nothing is downloaded: image sets are read from files already on disk.
"""
import gzip
import math
import os

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

# IDX stores multi-byte values big-endian; the ">" makes numpy read them that way.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_moons(n_samples=200, noise=0.2, seed=0):
    """Two interleaving half-moons: the smallest problem a linear model fails on.

    Inputs:
        n_samples: int N; noise: float, std of the added Gaussian noise;
        seed: int, the same seed always gives the same data.
    Returns:
        X: (N, 2) float64 point coordinates.  y: (N,) int64 labels in {0, 1}.
    """
    X, y = datasets.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def load_circles(n_samples=200, noise=0.1, factor=0.5, seed=0):
    """A ring around a disc: no straight line separates the two classes.

    Inputs:
        n_samples: int N; noise: float, std of the added Gaussian noise;
        factor: float in (0, 1), inner radius relative to the outer one;
        seed: int, the same seed always gives the same data.
    Returns:
        X: (N, 2) float64 point coordinates.  y: (N,) int64, 0 outer / 1 inner.
    """
    X, y = datasets.make_circles(n_samples=n_samples, noise=noise, factor=factor,
                                 random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def load_digits():
    """scikit-learn's bundled 8x8 handwritten digits (no download needed).

    Returns:
        X: (1797, 64) float64 flattened images in [0, 1].  y: (1797,) int64 in 0..9.
    """
    X, y = datasets.load_digits(return_X_y=True)
    # Raw pixels are 0..16; inputs near [0, 1] keep early activations from saturating.
    return X.astype(np.float64) / 16.0, y.astype(np.int64)


def load_digit_images():
    """The digits of load_digits as images, for a convolutional network.

    Returns:
        X: (1797, 1, 8, 8) float64 images in [0, 1], one channel.  y: (1797,) int64 in 0..9.
    """
    X, y = load_digits()
    # Each row of load_digits is an 8x8 image read row by row, so this reshape is exact.
    return X.reshape(-1, 1, 8, 8), y


# Part 8: the sizes of the tuning task's three splits.
TUNING_SPLIT_SIZES = {"train": 1000, "val": 500, "test": 1500}


def _tuning_splits(seed):
    """All three splits of the tuning task: a dict {name: (X, y)}."""
    n = TUNING_SPLIT_SIZES
    X, y = datasets.make_gaussian_quantiles(n_samples=sum(n.values()), n_features=3,
                                            n_classes=4, random_state=seed)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=n["train"], random_state=seed, stratify=y)
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, train_size=n["val"], random_state=seed, stratify=y_rest)
    return {name: (features.astype(np.float64), labels.astype(np.int64))
            for name, features, labels in (("train", X_train, y_train), ("val", X_val, y_val),
                                           ("test", X_test, y_test))}


def load_tuning_task(seed=0):
    """Part 8's tuning task: the training and validation splits.

    Points of a 3-D standard Gaussian, labelled by which of four nested shells around
    the origin they fall in (the quartiles of the distance to the origin, so the four
    classes are equally frequent). The labels are an exact function of the point: a
    network that learns the shells perfectly scores 1.0. Tune on the validation split;
    the grader scores on a third, held-out split of the same seed.

    Inputs:
        seed: int; the same seed always gives the same points and the same splits.
    Returns:
        X_train: (1000, 3) float64.  y_train: (1000,) int64 in 0..3.
        X_val: (500, 3) float64.     y_val: (500,) int64 in 0..3.
    """
    splits = _tuning_splits(seed)
    return (*splits["train"], *splits["val"])


def load_tuning_test(seed=0):
    """The held-out test split of the tuning task, for the grader (never tune on it).

    Inputs:
        seed: int, as load_tuning_task.
    Returns:
        X_test: (1500, 3) float64.  y_test: (1500,) int64 in 0..3.
    """
    return _tuning_splits(seed)["test"]


def one_hot(y, num_classes=None):
    """Turn integer class labels into one-hot rows, e.g. for a softmax loss.

    Inputs:
        y: (N,) integer array with labels in 0..C-1.
        num_classes: int C, or None to use max(y) + 1.
    Returns:
        Y: (N, C) float64 with Y[i, y[i]] = 1 and every other entry 0.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects 1-D labels of shape (N,), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"one_hot expects integer labels, got dtype {y.dtype}")
    if num_classes is None:
        num_classes = int(y.max()) + 1
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"one_hot labels must lie in 0..{num_classes - 1}, "
                         f"got values from {y.min()} to {y.max()}")
    Y = np.zeros((y.size, num_classes), dtype=np.float64)
    Y[np.arange(y.size), y] = 1.0
    return Y


def stratified_split(X, y, test_fraction=0.3, seed=0):
    """Split into train and test sets that keep the class proportions of y.

    Inputs:
        X: (N, D) features; y: (N,) int labels; test_fraction: float in (0, 1);
        seed: int, the same seed always gives the same split.
    Returns:
        X_train: (N_train, D), X_test: (N_test, D), y_train: (N_train,),
        y_test: (N_test,), with N_train + N_test = N.
    """
    return tuple(train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y))


def load_idx(path):
    """Read one IDX file (the MNIST file format), plain or gzip-compressed.

    Inputs:
        path: str or os.PathLike, the file to read.
    Returns:
        data: array with the shape and dtype given in the file header,
            e.g. (60000, 28, 28) uint8 for the MNIST training images.
    """
    with open(path, "rb") as f:
        raw = f.read()
    # Detect gzip by content, not by name, so a renamed file still loads.
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{raw[2]:02X}")
    dtype, header = np.dtype(_IDX_DTYPES[raw[2]]), 4 + 4 * raw[3]
    # A header cut short gives expected > len(raw), so the size check catches it too.
    shape = tuple(int.from_bytes(raw[i:i + 4], "big") for i in range(4, header, 4))
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: dims {shape} need {expected} bytes, file has {len(raw)}")
    # Native byte order keeps later arithmetic fast; the copy is also writable.
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_image_dataset(path):
    """Load MNIST-style image data (MNIST, Fashion-MNIST, notMNIST...) from disk.

    Inputs:
        path: a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
            t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz),
            or a .npz file holding arrays x_train, y_train, x_test, y_test.
    Returns:
        X_train: (N_train, H*W) float64 in [0, 1].  y_train: (N_train,) int64.
        X_test: (N_test, H*W) float64 in [0, 1].    y_test: (N_test,) int64.
    """
    if os.path.isdir(path):
        arrays = [load_idx(_find_idx_file(path, name)) for name in _MNIST_FILES]
    elif os.path.isfile(path) and str(path).lower().endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            arrays = [archive[key] for key in _NPZ_KEYS]
    else:
        raise FileNotFoundError(f"{path}: expected a directory holding {_MNIST_FILES} "
                                f"or a .npz file holding {_NPZ_KEYS}")
    x_train, y_train, x_test, y_test = arrays
    return (*_flatten_and_scale(x_train, y_train, path),
            *_flatten_and_scale(x_test, y_test, path))


def _find_idx_file(directory, name):
    """Path of `name` or `name.gz` inside `directory`."""
    for candidate in (os.path.join(directory, name), os.path.join(directory, name + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"{directory}: expected {name} or {name}.gz")


def _flatten_and_scale(images, labels, source):
    """images: (N, H, W) -> (N, H*W) float64 in [0, 1]; labels: (N,) -> (N,) int64."""
    if labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{source}: need one label per image, got images of shape "
                         f"{images.shape} and labels of shape {labels.shape}")
    X = images.reshape(len(images), -1).astype(np.float64)
    # Integer pixels are 0..255; float pixels are expected to be scaled already.
    if np.issubdtype(images.dtype, np.integer):
        X /= 255.0
    if X.size and (X.min() < 0.0 or X.max() > 1.0):
        raise ValueError(f"{source}: pixels must be 0..255 integers or floats in [0, 1]")
    return X, labels.astype(np.int64)
