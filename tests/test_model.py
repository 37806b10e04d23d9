import json

import pytest

import newsclf
from newsclf import Prediction
from newsclf.document import DEFAULT_MAX_CHARS


def test_predict_list_in_list_out(tiny_model):
    preds = tiny_model.predict(["Lavrov backs Maduro", {"title": "Oil rises", "body": "OPEC cuts output"}, ("Grève", "")])
    assert len(preds) == 3 and all(isinstance(p, Prediction) for p in preds)
    for p in preds:
        assert set(p.labels) == {"topic", "region"}
        assert len(p.labels["region"]) == 1
        assert set(p.scores["topic"]) == {"diplomacy", "economy", "military", "other"}
        assert all(0.0 <= v <= 1.0 for v in p.scores["topic"].values())
        json.dumps(p.as_dict())
    assert tiny_model.predict([]) == []


def test_predict_keeps_order(tiny_model):
    texts = ["Real Madrid beat Barcelona", "Banco Central eleva a Selic para 11,25% ao ano", "L'armée malienne reprend Kidal"]
    one_by_one = [tiny_model.predict([t])[0] for t in texts]
    assert tiny_model.predict(texts) == one_by_one
    assert [p.language for p in one_by_one] == ["en", "pt", "fr"]


def test_bare_string_is_a_type_error(tiny_model):
    with pytest.raises(TypeError, match="wrap one document in a list"):
        tiny_model.predict("Lavrov backs Maduro")
    with pytest.raises(TypeError, match="document 1 must be"):
        tiny_model.predict(["ok", 42])


@pytest.mark.parametrize("text", ["", "   ", "?!… «»", "\u200b\u200b"])
def test_empty_text_gets_a_marked_prediction(tiny_model, text):
    p = tiny_model.predict_one(text)
    assert p.status == "empty_text" and p.labels["region"][0] in tiny_model.tasks[1].labels


def test_truncation_is_marked(tiny_model):
    tiny_model.max_chars = 50
    try:
        p = tiny_model.predict_one("war " * 100)
    finally:
        tiny_model.max_chars = DEFAULT_MAX_CHARS
    assert p.status == "truncated"


def test_k_and_thresholds(tiny_model):
    p = tiny_model.predict_one("NATO allies pledge missiles and sanctions", k=2)
    assert len(p.labels["region"]) == 2 and len(p.labels["topic"]) <= 2
    zero = {label: 0.0 for label in tiny_model.tasks[0].scored_labels}
    p = tiny_model.predict_one("anything at all", thresholds=zero)
    assert p.labels["topic"] == ("diplomacy", "economy", "military")
    with pytest.raises(newsclf.LabelError, match="unknown label 'sport'"):
        tiny_model.predict_one("x", thresholds={"sport": 0.5})
    with pytest.raises(ValueError, match="must be a number in"):
        tiny_model.predict_one("x", thresholds={"economy": 2})
    with pytest.raises(ValueError, match="k must be"):
        tiny_model.predict_one("x", k=0)


def test_predict_one_with_body(tiny_model):
    p = tiny_model.predict_one("Maduro activa milicias", body="Lavrov reafirma el apoyo de Moscú.")
    assert p.language == "es"
    assert "VE" in p.countries or "RU" in p.countries


def test_train_from_path_and_records_agree(tiny_path, tiny_records):
    a = newsclf.train(tiny_path, cv=2, char_ngram_range=None)
    b = newsclf.train(tiny_records, cv=2, char_ngram_range=None)
    texts = [r["title"] for r in tiny_records[:10]]
    assert a.predict(texts) == b.predict(texts)
    assert a.card["corpus"]["sha256"] == b.card["corpus"]["sha256"]
    assert a.card["label_counts"]["topic"]["diplomacy"] == sum("diplomacy" in r["topic"] for r in tiny_records)


def test_train_skips_and_counts_bad_records(tiny_records):
    bad = [{"title": "", "body": "", "topic": "other", "region": "europe"}, {"title": "x", "topic": "sport", "region": "europe"}]
    model = newsclf.train(tiny_records + bad, cv=2, char_ngram_range=None)
    assert model.card["corpus"]["kept"] == len(tiny_records)
    assert sum(model.card["corpus"]["skipped"].values()) == 2
    with pytest.raises(newsclf.CorpusError, match="<records>:48: no text"):
        newsclf.train(tiny_records + bad, strict=True, cv=2)


def test_train_rejects_unknown_parameter(tiny_records):
    with pytest.raises(TypeError, match="unknown training parameter"):
        newsclf.train(tiny_records, epochs=3)


def test_card_contents(tiny_model):
    card = tiny_model.card
    assert set(card["versions"]) == {"python", "numpy", "scipy", "scikit-learn"}
    assert card["corpus"]["rows"] == 48 and len(card["corpus"]["sha256"]) == 64
    assert set(card["thresholds"]["topic"]) == {"diplomacy", "economy", "military"}
    assert "ece" in card["cv_scores"]["region"] and card["params"]["cv"] == 3
