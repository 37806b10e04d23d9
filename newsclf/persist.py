"""Saving and loading models without pickle.

A saved model is a directory of five files::

    model.json        format name and version, tasks, parameters, calibration, thresholds
    vocabulary.json   the word and character n-gram vocabularies, in column order
    weights.npz       idf vectors and per-task weights and intercepts (plain numeric arrays)
    card.json         the model card: versions, time, training corpus, label counts, scores
    checksums.json    the sha256 of each of the four files above

Loading never executes code from the directory: JSON is parsed as data, and every ``.npy`` member of
``weights.npz`` has its header read and checked (numeric dtype, expected name and shape, bounded
size) before its data is read with ``allow_pickle=False``. Before any of that, each file must be a
regular file inside the directory (no symlink, no other name) of bounded size, and its sha256 must
match ``checksums.json``, whose own bytes must be exactly its canonical form, so a changed byte
anywhere, a truncated file or a file swapped in from another model is refused. Every failure raises
:class:`ModelFormatError` saying what is wrong.

Saving is atomic: the files are written and synced in a temporary sibling directory that is then
renamed into place; if anything fails, the temporary directory is removed and a model that was
there before is left (or put back) in place.

Nothing in a saved model is tied to a scikit-learn or numpy version: the arrays and vocabularies
are all a model needs to predict, so a model saved under one version predicts identically under
another.

``FORMAT_VERSION`` is bumped whenever the layout changes; a model written by a newer newsclf is
refused with a message saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import ModelFormatError

__all__ = ["FORMAT_VERSION", "MODEL_FILES", "read_model_dir", "write_model_dir"]

FORMAT_NAME = "newsclf-model"
FORMAT_VERSION = 1
MODEL_FILES = ("model.json", "vocabulary.json", "weights.npz", "card.json")
CHECKSUMS = "checksums.json"
_MAX_JSON_BYTES = 256 * 2**20
_MAX_CHECKSUMS_BYTES = 64 * 2**10
_MAX_ARRAY_BYTES = 2 * 2**30
_MAX_NPZ_BYTES = 4 * 2**30
_NUMERIC_KINDS = "fiub"


def _canonical(data) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_dir(path, config: dict, vocabulary: dict, arrays: dict[str, np.ndarray], card: dict) -> Path:
    """Write a model directory atomically: into a temporary sibling, then renamed into place.

    An existing model directory at ``path`` is replaced; any other existing non-empty directory or
    file is refused, so a typo cannot wipe unrelated data.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise FileExistsError(f"{path} exists and is not a directory")
        if any(path.iterdir()) and not (path / CHECKSUMS).is_file():
            raise FileExistsError(f"{path} is a non-empty directory that does not hold a newsclf model; choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a model directory is an ordinary one
    try:
        (tmp / "model.json").write_bytes(_canonical({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **config}))
        (tmp / "vocabulary.json").write_bytes(_canonical(vocabulary))
        with open(tmp / "weights.npz", "wb") as f:
            np.savez(f, **{k: np.ascontiguousarray(v) for k, v in sorted(arrays.items())})
        (tmp / "card.json").write_bytes(_canonical(card))
        sums = {name: _sha256(tmp / name) for name in MODEL_FILES}
        (tmp / CHECKSUMS).write_bytes(_canonical({"format": "newsclf-checksums", "sha256": sums}))
        for name in (*MODEL_FILES, CHECKSUMS):
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "model")
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old / "model", path)  # put the previous model back
                shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _parse_json(raw: bytes):
    """JSON data from bytes; ``ValueError`` for anything that is not plain, reasonable JSON."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _read_json(path: Path, name: str):
    size = path.stat().st_size
    if size > _MAX_JSON_BYTES:
        raise ModelFormatError(f"{name} is {size} bytes, more than a model file may hold")
    try:
        return _parse_json(path.read_bytes())
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ModelFormatError(f"{name} is not valid JSON: {exc}") from None


def _file_in(root: Path, name: str) -> Path:
    candidate = root / name
    if candidate.is_symlink() or not candidate.is_file():
        raise ModelFormatError(f"{root}: {name} is missing or is not a regular file")
    if candidate.resolve().parent != root.resolve():
        raise ModelFormatError(f"{root}: {name} points outside the model directory")
    return candidate


def _verify(root: Path) -> None:
    sums_path = _file_in(root, CHECKSUMS)
    with open(sums_path, "rb") as f:
        raw = f.read(_MAX_CHECKSUMS_BYTES + 1)
    if len(raw) > _MAX_CHECKSUMS_BYTES:
        raise ModelFormatError(f"{root}: {CHECKSUMS} is larger than a checksum file can be")
    try:
        sums = _parse_json(raw)
    except ValueError:
        raise ModelFormatError(f"{root}: {CHECKSUMS} is damaged (not valid JSON)") from None
    if not isinstance(sums, dict) or sums.get("format") != "newsclf-checksums" or not isinstance(sums.get("sha256"), dict):
        raise ModelFormatError(f"{root}: {CHECKSUMS} is not a newsclf checksum file")
    try:
        canonical = _canonical(sums)
    except (TypeError, ValueError):
        canonical = b""
    if raw != canonical:
        raise ModelFormatError(f"{root}: {CHECKSUMS} has been edited (its bytes are not in canonical form)")
    listed = sums["sha256"]
    if sorted(listed) != sorted(MODEL_FILES):
        raise ModelFormatError(f"{root}: {CHECKSUMS} lists {sorted(listed)}, expected {sorted(MODEL_FILES)}")
    files = {name: _file_in(root, name) for name in MODEL_FILES}  # all present before any hashing
    for name, path in files.items():
        limit = _MAX_NPZ_BYTES if name.endswith(".npz") else _MAX_JSON_BYTES
        if path.stat().st_size > limit:
            raise ModelFormatError(f"{root}: {name} is {path.stat().st_size} bytes, more than a model file may hold")
    for name, path in files.items():
        actual = _sha256(path)
        if actual != listed[name]:
            raise ModelFormatError(f"{root}: {name} does not match its checksum (the file is damaged or was edited)")


# What a damaged or hostile zip archive can raise while it is read: a bad CRC or header, an
# unsupported or encrypted compression method (NotImplementedError, RuntimeError), cut-short data.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError, zlib.error)


def _read_arrays(path: Path, expected: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Read exactly the ``expected`` arrays ({name: shape}) from an npz, checking headers first."""
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS:
        raise ModelFormatError("weights.npz is not a valid npz archive") from None
    try:
        with archive:
            return _read_members(archive, expected)
    except ModelFormatError:
        raise
    except _ZIP_ERRORS as exc:
        raise ModelFormatError(f"weights.npz is damaged: {exc}") from None


def _read_members(archive: zipfile.ZipFile, expected: dict[str, tuple]) -> dict[str, np.ndarray]:
    """The ``expected`` arrays of an open npz archive, each header checked before its data is read."""
    arrays = {}
    if len(archive.infolist()) != len({info.filename for info in archive.infolist()}):
        raise ModelFormatError("weights.npz holds two members with the same name")
    members = {info.filename: info for info in archive.infolist()}
    wanted = {f"{name}.npy" for name in expected}
    if set(members) != wanted:
        extra, missing = sorted(set(members) - wanted), sorted(wanted - set(members))
        raise ModelFormatError(f"weights.npz holds unexpected arrays {extra} or lacks {missing}")
    for name, shape in expected.items():
        info = members[f"{name}.npy"]
        with archive.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
                if version not in reader:
                    raise ValueError(f"unsupported npy version {version}")
                header_shape, fortran, dtype = reader[version](f)
            except ValueError as exc:
                raise ModelFormatError(f"weights.npz: array {name!r} has a bad header: {exc}") from None
            if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject:
                raise ModelFormatError(f"weights.npz: array {name!r} has dtype {dtype}, not a plain number type (refused)")
            if tuple(header_shape) != tuple(shape):
                raise ModelFormatError(f"weights.npz: array {name!r} has shape {header_shape}, expected {tuple(shape)}")
            nbytes = int(np.prod(header_shape, dtype=np.float64)) * dtype.itemsize
            if nbytes > _MAX_ARRAY_BYTES or info.file_size > _MAX_ARRAY_BYTES:
                raise ModelFormatError(f"weights.npz: array {name!r} would need {nbytes} bytes (refused)")
        with archive.open(info) as f:
            try:
                arrays[name] = np.lib.format.read_array(f, allow_pickle=False)
            except (ValueError, EOFError, OSError) as exc:
                raise ModelFormatError(f"weights.npz: array {name!r} cannot be read: {exc}") from None
    return arrays


def read_model_dir(path, expected_shapes) -> tuple[dict, dict, dict[str, np.ndarray], dict]:
    """Verify and read a model directory: ``(config, vocabulary, arrays, card)``.

    ``expected_shapes(config, vocabulary)`` returns ``{array name: shape}`` for the arrays this
    config needs; anything else in ``weights.npz`` is refused.
    """
    root = Path(path)
    if not root.is_dir():
        raise ModelFormatError(f"{root}: no model directory here")
    _verify(root)
    config = _read_json(root / "model.json", "model.json")
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{root}: model.json is not a newsclf model")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFormatError(f"{root}: model.json has no valid format_version")
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{root}: saved in model format {version}, newer than this newsclf reads ({FORMAT_VERSION}); upgrade newsclf"
        )
    vocabulary = _read_json(root / "vocabulary.json", "vocabulary.json")
    card = _read_json(root / "card.json", "card.json")
    try:
        shapes = expected_shapes(config, vocabulary)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{root}: model.json or vocabulary.json is inconsistent: {exc!r}") from None
    arrays = _read_arrays(root / "weights.npz", shapes)
    return config, vocabulary, arrays, card
