"""Tests for assignment/data.py (the data helpers given to students)."""
import gzip
import re

import numpy as np
import pytest

from assignment import data

IDX_TYPE_CODES = {
    np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E,
}
MNIST_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def idx_bytes(array):
    """Encode an array as an IDX file: magic, big-endian uint32 dims, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=False):
    payload = idx_bytes(array)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def path_pattern(path):
    return re.escape(str(path))


# ---------------------------------------------------------------- toy datasets

@pytest.mark.parametrize("loader", [data.load_moons, data.load_circles])
def test_toy_loader_shapes_and_dtypes(loader):
    X, y = loader(n_samples=150, seed=3)
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("loader", [data.load_moons, data.load_circles])
def test_toy_loader_default_size(loader):
    X, y = loader()
    assert X.shape == (200, 2) and y.shape == (200,)


@pytest.mark.parametrize("loader", [data.load_moons, data.load_circles])
def test_toy_loader_is_seeded(loader):
    X1, y1 = loader(seed=7)
    X2, y2 = loader(seed=7)
    X3, _ = loader(seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


def test_noise_parameter_is_used():
    X_clean, _ = data.load_moons(noise=0.0, seed=0)
    X_noisy, _ = data.load_moons(noise=0.3, seed=0)
    assert not np.allclose(X_clean, X_noisy)
    # Noise-free moons lie exactly on unit half-circles centred at (0, 0) and (1, 0.5).
    r_upper = np.hypot(X_clean[:, 0], X_clean[:, 1])
    r_lower = np.hypot(X_clean[:, 0] - 1.0, X_clean[:, 1] - 0.5)
    assert np.allclose(np.minimum(abs(r_upper - 1), abs(r_lower - 1)), 0.0)


def test_circles_factor_sets_inner_radius():
    X, y = data.load_circles(noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_load_digits():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    # Scaling must be by 16 (the pixel maximum), so 17 distinct levels remain.
    np.testing.assert_allclose(np.unique(X) * 16, np.arange(17))


# ---------------------------------------------------------------------- one_hot

def test_one_hot_values():
    Y = data.one_hot(np.array([2, 0, 1, 2]))
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, expected)


def test_one_hot_explicit_num_classes_and_list_input():
    Y = data.one_hot([1, 1, 0], num_classes=5)
    assert Y.shape == (3, 5)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), [1, 1, 0])
    np.testing.assert_array_equal(Y[:, 2:], 0.0)


def test_one_hot_round_trips_real_labels():
    _, y = data.load_digits()
    Y = data.one_hot(y)
    assert Y.shape == (1797, 10)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)
    assert Y.sum() == len(y)


@pytest.mark.parametrize("y, num_classes, message", [
    (np.array([0.0, 1.0, 1.5]), None, "integer"),
    (np.array([0.0, 1.0]), 2, "integer"),
    (np.array(["a", "b"]), None, "integer"),
    (np.array([0, -1, 2]), None, "0..2"),
    (np.array([0, 3, 1]), 3, "0..2"),
    (np.array([0, 3, 1]), 2, "0..1"),
    (np.array([[0, 1], [1, 0]]), None, "1-D"),
    (np.array(1), None, "1-D"),
])
def test_one_hot_errors(y, num_classes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        data.one_hot(y, num_classes=num_classes)


# ------------------------------------------------------------- stratified_split

def make_imbalanced(n0=140, n1=40, n2=20):
    y = np.repeat(np.arange(3), [n0, n1, n2]).astype(np.int64)
    # Column 0 holds each row's original index so the tests can track rows.
    X = np.column_stack([np.arange(len(y)), np.random.default_rng(0).normal(size=len(y))])
    return X, y


def test_stratified_split_sizes_and_proportions():
    X, y = make_imbalanced()
    X_tr, X_te, y_tr, y_te = data.stratified_split(X, y, test_fraction=0.25, seed=1)
    assert X_te.shape == (50, 2) and X_tr.shape == (150, 2)
    assert y_te.shape == (50,) and y_tr.shape == (150,)
    np.testing.assert_array_equal(np.bincount(y_te), [35, 10, 5])
    np.testing.assert_array_equal(np.bincount(y_tr), [105, 30, 15])


def test_stratified_split_keeps_rows_aligned_and_disjoint():
    X, y = make_imbalanced()
    X_tr, X_te, y_tr, y_te = data.stratified_split(X, y, seed=2)
    idx_tr, idx_te = X_tr[:, 0].astype(int), X_te[:, 0].astype(int)
    np.testing.assert_array_equal(y[idx_tr], y_tr)
    np.testing.assert_array_equal(y[idx_te], y_te)
    np.testing.assert_array_equal(np.sort(np.concatenate([idx_tr, idx_te])), np.arange(len(y)))


def test_stratified_split_is_seeded():
    X, y = make_imbalanced()
    first = data.stratified_split(X, y, seed=5)
    again = data.stratified_split(X, y, seed=5)
    other = data.stratified_split(X, y, seed=6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1][:, 0], other[1][:, 0])


# --------------------------------------------------------------------- load_idx

def test_load_idx_matches_hand_written_bytes(tmp_path):
    # Written byte by byte, independently of the idx_bytes helper: int16 258 = 0x0102.
    raw = bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x01, 0x02, 0xFF, 0xFE])
    path = tmp_path / "tiny-idx2"
    path.write_bytes(raw)
    out = data.load_idx(path)
    assert out.dtype == np.int16 and out.shape == (2, 1)
    np.testing.assert_array_equal(out, [[258], [-2]])


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_uint8_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 4, 5), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    suffix = ".gz" if compress else ""
    img_path = write_idx(tmp_path / f"images-idx3-ubyte{suffix}", images, compress)
    lbl_path = write_idx(tmp_path / f"labels-idx1-ubyte{suffix}", labels, compress)
    out_images, out_labels = data.load_idx(img_path), data.load_idx(lbl_path)
    assert out_images.dtype == np.uint8 and out_images.shape == (6, 4, 5)
    assert out_labels.dtype == np.uint8 and out_labels.shape == (6,)
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, labels)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_load_idx_other_types(tmp_path, dtype):
    values = np.array([[-3.5, 0.0, 1.25], [70000.25, -1.0, 2.0]])
    array = values.astype(dtype) if np.dtype(dtype).kind == "f" else np.array(
        [[-3, 0, 1], [np.iinfo(dtype).max, -1, np.iinfo(dtype).min]], dtype=dtype)
    out = data.load_idx(write_idx(tmp_path / "values.idx", array))
    assert out.dtype == np.dtype(dtype)  # native byte order, not big-endian
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, array)


def test_load_idx_float32_gz(tmp_path):
    array = np.linspace(0.0, 1.0, 24, dtype=np.float32).reshape(2, 3, 4)
    out = data.load_idx(write_idx(tmp_path / "floats-idx3.gz", array, compress=True))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, array)


def test_load_idx_detects_gzip_by_content(tmp_path):
    labels = np.array([7, 0, 9], dtype=np.uint8)
    out = data.load_idx(write_idx(tmp_path / "labels-no-suffix", labels, compress=True))
    np.testing.assert_array_equal(out, labels)


def test_load_idx_result_is_writable(tmp_path):
    out = data.load_idx(write_idx(tmp_path / "l", np.arange(4, dtype=np.uint8)))
    out[0] = 9
    assert out[0] == 9


def test_load_idx_bad_magic(tmp_path):
    raw = bytearray(idx_bytes(np.arange(4, dtype=np.uint8)))
    raw[1] = 0x01
    path = tmp_path / "bad-magic-idx1-ubyte"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=path_pattern(path)):
        data.load_idx(path)


def test_load_idx_unknown_type_code(tmp_path):
    raw = bytearray(idx_bytes(np.arange(4, dtype=np.uint8)))
    raw[2] = 0x0A
    path = tmp_path / "bad-type-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match=path_pattern(path)) as info:
        data.load_idx(path)
    assert "type" in str(info.value).lower()


@pytest.mark.parametrize("cut, extra", [(1, b""), (0, b"\x00"), (10, b"")])
def test_load_idx_size_mismatch(tmp_path, cut, extra):
    # (10, b"") cuts into the header of this 1-D file: 8-byte header + 4 data bytes.
    raw = idx_bytes(np.arange(4, dtype=np.uint8))
    path = tmp_path / "wrong-size-idx1-ubyte"
    path.write_bytes(raw[:len(raw) - cut] + extra)
    with pytest.raises(ValueError, match=path_pattern(path)):
        data.load_idx(path)


def test_load_idx_size_mismatch_in_multibyte_data(tmp_path):
    raw = idx_bytes(np.zeros((2, 2), dtype=np.float32))
    path = tmp_path / "short-floats.gz"
    path.write_bytes(gzip.compress(raw[:-2]))
    with pytest.raises(ValueError, match=path_pattern(path)):
        data.load_idx(path)


# ----------------------------------------------------------- load_image_dataset

def make_split(rng, n, height=3, width=4):
    images = rng.integers(0, 256, size=(n, height, width), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make sure both ends of the range occur
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    return images, labels


def write_mnist_dir(directory, train, test, compressed=("train-labels-idx1-ubyte",
                                                        "t10k-images-idx3-ubyte")):
    for name, array in zip(MNIST_NAMES, [*train, *test]):
        compress = name in compressed
        write_idx(directory / (name + (".gz" if compress else "")), array, compress)


def check_dataset(result, train, test):
    X_train, y_train, X_test, y_test = result
    for X, y, (images, labels) in [(X_train, y_train, train), (X_test, y_test, test)]:
        n = len(images)
        assert X.shape == (n, images.shape[1] * images.shape[2]) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        np.testing.assert_allclose(X, images.reshape(n, -1) / 255.0)
        np.testing.assert_array_equal(y, labels)


def test_load_image_dataset_from_idx_directory(tmp_path):
    rng = np.random.default_rng(1)
    train, test = make_split(rng, 8), make_split(rng, 5)
    write_mnist_dir(tmp_path, train, test)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte",
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz"])
    check_dataset(data.load_image_dataset(tmp_path), train, test)
    check_dataset(data.load_image_dataset(str(tmp_path)), train, test)


def test_load_image_dataset_from_npz(tmp_path):
    rng = np.random.default_rng(2)
    train, test = make_split(rng, 7, 5, 5), make_split(rng, 4, 5, 5)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=train[0], y_train=train[1], x_test=test[0], y_test=test[1])
    check_dataset(data.load_image_dataset(path), train, test)


def test_load_image_dataset_leaves_unit_float_pixels_alone(tmp_path):
    rng = np.random.default_rng(3)
    x_train = rng.random((6, 2, 3)).astype(np.float32)
    x_test = rng.random((3, 2, 3)).astype(np.float32)
    path = tmp_path / "notmnist.npz"
    np.savez(path, x_train=x_train, y_train=np.arange(6), x_test=x_test, y_test=np.arange(3))
    X_train, y_train, X_test, y_test = data.load_image_dataset(path)
    assert X_train.dtype == np.float64 and X_train.shape == (6, 6)
    np.testing.assert_array_equal(X_train, x_train.reshape(6, 6).astype(np.float64))
    np.testing.assert_array_equal(X_test, x_test.reshape(3, 6).astype(np.float64))
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64


def test_load_image_dataset_rejects_unscaled_float_pixels(tmp_path):
    x = np.full((2, 2, 2), 255.0, dtype=np.float32)
    path = tmp_path / "unscaled.npz"
    np.savez(path, x_train=x, y_train=np.arange(2), x_test=x, y_test=np.arange(2))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.load_image_dataset(path)


@pytest.mark.parametrize("missing", MNIST_NAMES)
def test_load_image_dataset_missing_idx_file(tmp_path, missing):
    rng = np.random.default_rng(4)
    write_mnist_dir(tmp_path, make_split(rng, 4), make_split(rng, 2), compressed=())
    (tmp_path / missing).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        data.load_image_dataset(tmp_path)


def test_load_image_dataset_missing_path(tmp_path):
    for path in [tmp_path / "no-such-dir", tmp_path / "mnist.npz"]:
        with pytest.raises(FileNotFoundError, match=path_pattern(path)):
            data.load_image_dataset(path)


def test_load_image_dataset_count_mismatch_idx(tmp_path):
    rng = np.random.default_rng(5)
    test_images, test_labels = make_split(rng, 5)
    write_mnist_dir(tmp_path, make_split(rng, 6), (test_images, test_labels[:4]))
    with pytest.raises(ValueError, match="label"):
        data.load_image_dataset(tmp_path)


def test_load_image_dataset_count_mismatch_npz(tmp_path):
    rng = np.random.default_rng(6)
    (x_train, y_train), (x_test, y_test) = make_split(rng, 6), make_split(rng, 3)
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=x_train, y_train=y_train[:5], x_test=x_test, y_test=y_test)
    with pytest.raises(ValueError, match=path_pattern(path)):
        data.load_image_dataset(path)
