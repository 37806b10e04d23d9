"""Model files that must be refused, and saving that leaves no half-written model (issue 7).

tests/test_persist.py covers the round trip, a few changed bytes, a truncated weights file, a
pickle payload as an object array, a wrong version, a huge declared shape and a symlinked file.
Here: random byte flips under several seeds and truncations of every file, files swapped between
two models, every malformed format version, arrays that would need too much memory, names that
escape the directory, special files, pickles in other disguises (with proof that no unpickling ran),
and crashes at each step of a save.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import newsclf
from newsclf import persist
from newsclf.errors import ModelFormatError
from newsclf.persist import CHECKSUMS, MODEL_FILES, _canonical, _sha256

ALL_FILES = [*MODEL_FILES, CHECKSUMS]


@pytest.fixture(scope="module")
def pristine(tiny_model, tmp_path_factory) -> Path:
    return tiny_model.save(tmp_path_factory.mktemp("files") / "model")


@pytest.fixture(scope="module")
def other(tiny_records, tmp_path_factory) -> Path:
    """A second model whose every file differs from ``pristine``'s (other features, other C)."""
    model = newsclf.train(tiny_records, cv=2, C=2.0, char_ngram_range=(2, 3))
    return model.save(tmp_path_factory.mktemp("files") / "other")


@pytest.fixture()
def saved(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "model"))


def _forge(model: Path, name: str, data: bytes) -> None:
    """Replace a file and update checksums.json to match, as someone crafting a model would."""
    (model / name).write_bytes(data)
    sums = json.loads((model / CHECKSUMS).read_text())
    sums["sha256"][name] = _sha256(model / name)
    (model / CHECKSUMS).write_bytes(_canonical(sums))


def _forge_config(model: Path, change) -> None:
    config = json.loads((model / "model.json").read_text())
    change(config)
    _forge(model, "model.json", _canonical(config))


def _npz(arrays: dict, members: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(array))
            archive.writestr(f"{name}.npy", member.getvalue())
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _arrays(model: Path) -> dict:
    with np.load(model / "weights.npz") as archive:
        return {k: archive[k] for k in archive.files}


# -- damage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", ALL_FILES)
def test_random_byte_flips_are_refused(saved, name, seed):
    rng = random.Random(f"{name}-{seed}")
    path = saved / name
    data = bytearray(path.read_bytes())
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(data))
        data[i] ^= rng.randint(1, 255)  # a different byte, never the same one
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)


@pytest.mark.parametrize("keep", [0.0, 0.01, 0.5, 0.99, -1])
@pytest.mark.parametrize("name", ALL_FILES)
def test_truncated_files_are_refused(saved, name, keep):
    path = saved / name
    data = path.read_bytes()
    cut = len(data) - 1 if keep == -1 else int(len(data) * keep)
    path.write_bytes(data[:cut])
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)


@pytest.mark.parametrize("name", ALL_FILES)
@pytest.mark.parametrize("with_checksums", [False, True])
def test_files_swapped_in_from_another_model_are_refused(saved, other, name, with_checksums):
    assert (saved / name).read_bytes() != (other / name).read_bytes()
    shutil.copyfile(other / name, saved / name)
    if with_checksums and name != CHECKSUMS:
        shutil.copyfile(other / CHECKSUMS, saved / CHECKSUMS)
    with pytest.raises(ModelFormatError, match="checksum|does not match"):
        newsclf.load(saved)
    newsclf.load(other)  # the other model itself is fine


def test_a_consistently_forged_foreign_file_is_refused_by_shape(saved, other):
    """Even with checksums recomputed, weights from another model do not fit this one's vocabulary."""
    _forge(saved, "weights.npz", (other / "weights.npz").read_bytes())
    with pytest.raises(ModelFormatError, match="has shape"):
        newsclf.load(saved)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (2, "newer than this newsclf reads"),
        (10**30, "newer than this newsclf reads"),
        (0, "no valid format_version"),
        (-1, "no valid format_version"),
        ("1", "no valid format_version"),
        (1.0, "no valid format_version"),
        (True, "no valid format_version"),
        (None, "no valid format_version"),
        ([1], "no valid format_version"),
    ],
)
def test_wrong_format_versions_are_refused(saved, version, message):
    _forge_config(saved, lambda c: c.update(format_version=version))
    with pytest.raises(ModelFormatError, match=message):
        newsclf.load(saved)


def test_missing_version_and_foreign_format_are_refused(saved):
    _forge_config(saved, lambda c: c.pop("format_version"))
    with pytest.raises(ModelFormatError, match="no valid format_version"):
        newsclf.load(saved)
    _forge_config(saved, lambda c: c.update(format="sklearn-pickle", format_version=1))
    with pytest.raises(ModelFormatError, match="not a newsclf model"):
        newsclf.load(saved)


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"format": NaN}', '{"n": ' + "9" * 5000 + "}", "\ufeff{}", '"just a string"'],
    ids=["nested", "nan", "bigint", "bom", "string"],
)
def test_hostile_json_is_refused(saved, text):
    _forge(saved, "model.json", text.encode("utf-8"))
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)


# -- memory: refused before anything large is allocated ----------------------------------------


def test_a_huge_declared_array_is_refused_before_allocation(tmp_path):
    """The header of each array is checked against the size limit before its data is read."""
    header = io.BytesIO()
    shape = (3, 10**9)  # 24 GB of float64, declared by a 100-byte member
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    path = tmp_path / "weights.npz"
    path.write_bytes(_npz({}, {"coef_0.npy": header.getvalue()}))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match="would need 24000000000 bytes"):
            persist._read_arrays(path, {"coef_0": shape})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_oversized_files_are_refused_before_hashing(saved, monkeypatch):
    monkeypatch.setattr(persist, "_MAX_JSON_BYTES", 100)
    hashed = []
    monkeypatch.setattr(persist, "_sha256", lambda path: hashed.append(path) or "0" * 64)
    with pytest.raises(ModelFormatError, match="more than a model file may hold"):
        newsclf.load(saved)
    assert hashed == []


def test_a_huge_checksum_file_is_not_read_whole(saved):
    with open(saved / CHECKSUMS, "ab") as f:
        f.truncate(8 * 2**30)  # a sparse 8 GB file: reading it whole would be the failure
    with pytest.raises(ModelFormatError, match="larger than a checksum file can be"):
        newsclf.load(saved)


@pytest.mark.parametrize(
    "dtype",
    [np.dtype([("a", "<f8"), ("b", "<i4")]), np.dtype("U3"), np.dtype("M8[s]"), np.dtype("V8"), np.dtype("c16")],
    ids=["structured", "unicode", "datetime", "void", "complex"],
)
def test_arrays_of_non_numeric_dtypes_are_refused(saved, dtype):
    arrays = _arrays(saved)
    arrays["word_idf"] = np.zeros(arrays["word_idf"].shape, dtype=dtype)
    _forge(saved, "weights.npz", _npz(arrays))
    with pytest.raises(ModelFormatError, match="not a plain number type"):
        newsclf.load(saved)


# -- names, links and special files ----------------------------------------------------------


@pytest.mark.parametrize("listed", ["../model.json", "/etc/passwd", "sub/../model.json", "model.json\x00", "./card.json"])
def test_checksums_naming_other_paths_are_refused_without_reading_them(saved, listed, monkeypatch):
    sums = json.loads((saved / CHECKSUMS).read_text())
    sums["sha256"][listed] = "0" * 64
    (saved / CHECKSUMS).write_bytes(_canonical(sums))
    hashed = []
    real = persist._sha256
    monkeypatch.setattr(persist, "_sha256", lambda path: hashed.append(Path(path)) or real(path))
    with pytest.raises(ModelFormatError, match="lists .* expected"):
        newsclf.load(saved)
    assert hashed == []


@pytest.mark.parametrize("member", ["../escape.npy", "/tmp/abs.npy", "sub/word_idf.npy", "word_idf.npy/../x.npy"])
def test_npz_members_with_other_names_are_refused(saved, tmp_path, member):
    arrays = _arrays(saved)
    _forge(saved, "weights.npz", _npz(arrays, {member: b"\x93NUMPY"}))
    with pytest.raises(ModelFormatError, match="unexpected arrays"):
        newsclf.load(saved)
    assert not (tmp_path / "escape.npy").exists() and not Path("/tmp/abs.npy").exists()


def test_npz_with_a_duplicated_member_is_refused(saved):
    arrays = _arrays(saved)
    member = io.BytesIO()
    np.lib.format.write_array(member, np.zeros_like(arrays["word_idf"]))
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = _npz(arrays, {"word_idf.npy": member.getvalue()})
    _forge(saved, "weights.npz", data)
    with pytest.raises(ModelFormatError, match="two members with the same name"):
        newsclf.load(saved)


@pytest.mark.parametrize("kind", ["symlink_out", "symlink_in", "directory", "fifo"])
def test_special_files_are_refused(saved, tmp_path, kind):
    target = saved / "weights.npz"
    if kind == "symlink_out":
        outside = tmp_path / "outside.npz"
        shutil.copyfile(target, outside)
        target.unlink()
        target.symlink_to(outside)
    elif kind == "symlink_in":
        shutil.copyfile(target, saved / "real.npz")
        target.unlink()
        target.symlink_to(saved / "real.npz")
    elif kind == "directory":
        target.unlink()
        target.mkdir()
    else:
        target.unlink()
        os.mkfifo(target)  # opening it for reading would block: it must not be opened
    with pytest.raises(ModelFormatError, match="missing or is not a regular file"):
        newsclf.load(saved)


def test_a_symlinked_model_directory_loads(saved, tmp_path):
    (tmp_path / "link").symlink_to(saved, target_is_directory=True)
    assert newsclf.load(tmp_path / "link").predict(["Oil rises"]) == newsclf.load(saved).predict(["Oil rises"])


# -- pickles in disguise: refused, and nothing is ever unpickled --------------------------------


class _Payload:
    """Unpickling this writes a marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "code ran"))


@pytest.fixture()
def no_unpickling(monkeypatch):
    """Make any use of pickle during the test fail loudly (loading must never reach it)."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    yield calls
    assert calls == []


def _pickled(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def test_the_payload_runs_when_unpickled(tmp_path):
    pickle.loads(_pickled(tmp_path / "m"))
    assert (tmp_path / "m").read_text() == "code ran"


@pytest.mark.parametrize("disguise", ["weights_is_a_pickle", "member_is_a_pickle", "object_array", "extra_pickle_member", "json_is_a_pickle"])
def test_pickles_in_disguise_are_refused_and_never_run(saved, tmp_path, disguise, no_unpickling):
    marker = tmp_path / "pwned"
    payload = _pickled(marker)
    arrays = _arrays(saved)
    if disguise == "weights_is_a_pickle":
        _forge(saved, "weights.npz", payload)
    elif disguise == "member_is_a_pickle":
        _forge(saved, "weights.npz", _npz({k: v for k, v in arrays.items() if k != "coef_0"}, {"coef_0.npy": payload}))
    elif disguise == "object_array":
        buffer = io.BytesIO()
        np.savez(buffer, **{**arrays, "coef_0": np.array([_Payload(marker)], dtype=object)})
        _forge(saved, "weights.npz", buffer.getvalue())
    elif disguise == "extra_pickle_member":
        _forge(saved, "weights.npz", _npz(arrays, {"evil.pkl": payload}))
    else:
        _forge(saved, "model.json", payload)
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)
    assert not marker.exists()


# -- atomic save ----------------------------------------------------------------------------------


def _entries(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("step", ["model.json", "vocabulary.json", "weights.npz", "card.json", "checksums.json", "fsync", "rename"])
@pytest.mark.parametrize("existing", [False, True])
def test_a_crash_during_save_leaves_no_half_written_model(tiny_model, other, tmp_path, monkeypatch, step, existing):
    target = tmp_path / "model"
    if existing:
        shutil.copytree(other, target)
    before = {name: (target / name).read_bytes() for name in ALL_FILES} if existing else None

    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash(step)

    if step == "weights.npz":
        monkeypatch.setattr(np, "savez", crash)
    elif step == "fsync":
        monkeypatch.setattr(os, "fsync", crash)
    elif step == "rename":
        real_replace = os.replace

        def replace(src, dst):  # the rename of the new directory into place fails
            if Path(dst) == target and str(src).endswith(".tmp"):
                raise Crash(step)
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)
    else:
        real_write = Path.write_bytes
        monkeypatch.setattr(Path, "write_bytes", lambda self, data: crash() if self.name == step else real_write(self, data))
    with pytest.raises(Crash):
        tiny_model.save(target)
    monkeypatch.undo()
    if existing:  # the previous model is there, unchanged, and loads
        assert _entries(tmp_path) == ["model"]
        assert {name: (target / name).read_bytes() for name in ALL_FILES} == before
        newsclf.load(target)
    else:  # nothing at all: no model directory, no temporary
        assert _entries(tmp_path) == []


def test_an_interrupted_save_is_cleaned_up(tiny_model, tmp_path, monkeypatch):
    real_write = Path.write_bytes

    def interrupt(self, data):
        if self.name == "card.json":
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupt)
    with pytest.raises(KeyboardInterrupt):
        tiny_model.save(tmp_path / "model")
    assert _entries(tmp_path) == []


# -- forged but well-formed model.json ------------------------------------------------------------


@pytest.mark.parametrize("change", ["calibration", "thresholds"])
def test_calibration_and_thresholds_of_the_wrong_length_are_refused(saved, change):
    if change == "calibration":
        _forge_config(saved, lambda c: c["calibration"]["topic"].update(a=[1.0]))
    else:
        _forge_config(saved, lambda c: c["thresholds"].update(topic=[0.5]))
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)


@pytest.mark.parametrize("params", [{"word_ngram_range": [1, 10**9]}, {"title_weight": "heavy"}, {"char_ngram_range": [0, 3]}])
def test_unusable_parameters_are_refused_at_load(saved, params):
    # word_ngram_range (1, 10**9) would make predict() loop for ever; it must fail at load.
    _forge_config(saved, lambda c: c["params"].update(params))
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)
