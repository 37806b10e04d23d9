import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

import newsclf
from newsclf.errors import ModelFormatError
from newsclf.persist import MODEL_FILES

TEXTS = ["Lavrov reafirma el respaldo de Moscú a Maduro", "Oil rises as OPEC+ cuts", "Le PSG s'impose", ""]


@pytest.fixture()
def saved(tiny_model, tmp_path) -> Path:
    return tiny_model.save(tmp_path / "model")


def test_round_trip_is_bit_identical(tiny_model, saved):
    loaded = newsclf.load(saved)
    a = tiny_model.estimator.predict_proba(TEXTS)
    b = loaded.estimator.predict_proba(TEXTS)
    for task in a:
        assert np.array_equal(a[task], b[task])
    assert loaded.predict(TEXTS) == tiny_model.predict(TEXTS)
    assert loaded.card == tiny_model.card
    assert sorted(os.listdir(saved)) == sorted([*MODEL_FILES, "checksums.json"])


@pytest.mark.parametrize("name", [*MODEL_FILES, "checksums.json"])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_any_changed_byte_is_refused(saved, name, where):
    path = saved / name
    data = bytearray(path.read_bytes())
    i = int(len(data) * where)
    data[i] = (data[i] + 1) % 256
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError):
        newsclf.load(saved)


def test_truncated_and_missing_files_are_refused(saved):
    (saved / "weights.npz").write_bytes((saved / "weights.npz").read_bytes()[:100])
    with pytest.raises(ModelFormatError, match="does not match its checksum"):
        newsclf.load(saved)
    (saved / "card.json").unlink()
    with pytest.raises(ModelFormatError, match="card.json is missing"):
        newsclf.load(saved)


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelFormatError, match="no model directory"):
        newsclf.load(tmp_path / "nothing")
    (tmp_path / "checksums.json").write_text("{}")
    with pytest.raises(ModelFormatError, match="not in canonical form|not a newsclf checksum"):
        newsclf.load(tmp_path)


def _rewrite(saved: Path, name: str, data: bytes) -> None:
    """Replace a file and update checksums.json consistently (what a forger would do)."""
    from newsclf.persist import _canonical, _sha256

    (saved / name).write_bytes(data)
    sums = json.loads((saved / "checksums.json").read_text())
    sums["sha256"][name] = _sha256(saved / name)
    (saved / "checksums.json").write_bytes(_canonical(sums))


class _Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    marker = None

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "code ran"))


def test_pickle_payload_in_weights_is_refused_without_running(saved, tmp_path):
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = str(marker)
    with np.load(saved / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["coef_0"] = np.array([payload], dtype=object)
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _rewrite(saved, "weights.npz", buffer.getvalue())
    with pytest.raises(ModelFormatError, match="not a plain number type"):
        newsclf.load(saved)
    assert not marker.exists()


def test_the_payload_would_run_if_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = str(marker)
    pickle.loads(pickle.dumps(payload))
    assert marker.read_text() == "code ran"


def test_wrong_shapes_and_versions_are_refused(saved):
    config = json.loads((saved / "model.json").read_text())
    config["format_version"] = 99
    from newsclf.persist import _canonical

    _rewrite(saved, "model.json", _canonical(config))
    with pytest.raises(ModelFormatError, match="newer than this newsclf"):
        newsclf.load(saved)
    config["format_version"] = 1
    config["n_features"] += 1
    _rewrite(saved, "model.json", _canonical(config))
    with pytest.raises(ModelFormatError, match="inconsistent"):
        newsclf.load(saved)


def test_huge_declared_array_is_refused_before_allocation(saved):
    import io
    import zipfile

    with np.load(saved / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    # Rewrite one member's header to declare a terabyte-sized array, keeping its tiny data.
    raw = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in raw.infolist():
            data = raw.read(info)
            if info.filename == "word_idf.npy":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
                data = header.getvalue()
            z.writestr(info.filename, data)
    _rewrite(saved, "weights.npz", out.getvalue())
    with pytest.raises(ModelFormatError, match="has shape"):
        newsclf.load(saved)


def test_save_refuses_to_overwrite_unrelated_directory(tiny_model, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="does not hold a newsclf model"):
        tiny_model.save(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_save_replaces_an_existing_model_and_leaves_no_temporaries(tiny_model, tmp_path):
    tiny_model.save(tmp_path / "m")
    tiny_model.save(tmp_path / "m")
    assert os.listdir(tmp_path) == ["m"]
    newsclf.load(tmp_path / "m")


def test_symlinked_file_is_refused(saved, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_bytes((saved / "card.json").read_bytes())
    (saved / "card.json").unlink()
    (saved / "card.json").symlink_to(outside)
    with pytest.raises(ModelFormatError, match="not a regular file"):
        newsclf.load(saved)
