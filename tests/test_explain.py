"""Explanations: exact contributions, words of the text, labels chosen, HTML, and the command line."""

import csv
import json

import numpy as np
import pytest

import newsclf
from newsclf.cli import main
from newsclf.explain import DocumentExplanation, attribute_document, describe_feature, top_terms

DOCS = [
    "Lavrov reafirma el respaldo de Moscú a Maduro",
    {"title": "Venezuela activates militias as US warships approach", "body": "Maduro ordered troops to the coast. Maduro spoke."},
    ("L’armée malienne reprend Kidal", "Les soldats de l'armée sont entrés dans la ville."),
    {"title": "", "body": "Banco Central mantém a Selic em 10,5% pela terceira reunião seguida."},
    "Oil climbs as OPEC+ agrees to extend output cuts; EE.UU. y Rusia discuten",
    "Real Madrid beat Barcelona 2-1 in the clasico",
]


def _all_labels(model):
    return [label for task in model.tasks for label in task.labels]


def _check_sums(model, docs):
    results = model.explain(docs, labels=_all_labels(model))
    decisions = model.estimator.decision_function(docs)
    n_checked = 0
    for i, result in enumerate(results):
        for e in result.explanations:
            task = next(t for t in model.tasks if t.name == e.task)
            expected = decisions[e.task][i, task.scored_labels.index(e.label)]
            assert e.decision == pytest.approx(expected, abs=1e-12)
            # The exact terms of the sum, per feature and per word or phrase.
            assert abs(e.intercept + sum(c for _, _, c in e.features) - expected) < 1e-6
            assert abs(e.intercept + sum(c for _, c in e.terms) - expected) < 1e-6
            # Every feature went back to a word, so the highlighted tokens add up too.
            assert not any(t.startswith("[") for t, _ in e.terms)
            assert abs(e.intercept + sum(s[-1] for s in e.spans) - expected) < 1e-6
            n_checked += 1
    assert n_checked == len(docs) * sum(len(t.scored_labels) for t in model.tasks)


def test_contributions_add_up_tiny_model(tiny_model):
    _check_sums(tiny_model, DOCS)


@pytest.mark.parametrize(
    "params",
    [
        {"char_ngram_range": None, "country_weight": 0.0},
        {"stemming": False, "stop_words": False, "word_ngram_range": (1, 3), "title_weight": 3.0},
        {"sublinear_tf": False, "char_ngram_range": (2, 3), "title_weight": 0.5},
    ],
)
def test_contributions_add_up_whatever_the_features(tiny_records, params):
    _check_sums(newsclf.train(tiny_records, cv=2, **params), DOCS)


def test_contributions_add_up_bundled_model():
    _check_sums(newsclf.load(), DOCS)


def test_attribution_shares_each_column_once(tiny_model):
    found = attribute_document(tiny_model.estimator.featurizer_, DOCS[1])
    assert set(found.columns) == set(found.row.indices)
    totals = np.bincount(found.columns, weights=found.shares())
    assert np.allclose(totals[found.row.indices], 1.0)
    assert found.language == "en" and found.countries == ("VE",)


def test_terms_are_words_of_the_text_not_stems():
    model = newsclf.load()
    text = "Las milicias venezolanas se movilizan en Moscú y Caracas"
    e = model.explain(text, labels=["military"]).explanations[0]
    words = [t for t, _ in e.terms]
    assert {"milicias", "venezolanas", "movilizan", "Moscú"} <= set(words)
    assert not {"milici", "venezolan", "moviliz", "moscu"} & set(words)
    assert all(term in text for term in words)
    for field, start, end, _ in e.spans:
        assert field == "title" and text[start:end] in text.split()


def test_title_occurrences_weigh_title_weight_times_body_ones(tiny_model):
    e = tiny_model.explain({"title": "inflation", "body": "inflation"}, labels=["economy"]).explanations[0]
    (title,) = [c for f, _, _, c in e.spans if f == "title"]
    (body,) = [c for f, _, _, c in e.spans if f == "body"]
    assert title == pytest.approx(tiny_model.estimator.title_weight * body)
    assert [t for t, _ in e.terms] == ["inflation"]  # one word, however often it occurs


def test_labels_tasks_and_thresholds(tiny_model):
    text = "NATO allies pledge missiles and sanctions"
    predicted = tiny_model.predict_one(text).labels
    result = tiny_model.explain(text)
    assert isinstance(result, DocumentExplanation)
    shown = {(e.task, e.label) for e in result.explanations}
    expected = set()
    for task in tiny_model.tasks:
        for label in predicted[task.name]:
            expected |= {(task.name, lab) for lab in (task.scored_labels if label == task.empty else [label])}
    assert shown == expected
    assert all(e.predicted == (e.label in predicted[e.task]) for e in result.explanations)

    (e,) = tiny_model.explain(text, labels="economy", tasks="topic").explanations
    assert e.label == "economy" and e.predicted == ("economy" in predicted["topic"])
    assert e.threshold == pytest.approx(tiny_model.card["thresholds"]["topic"]["economy"])
    forced = tiny_model.explain(text, labels="economy", thresholds={"economy": 0.0}).explanations[0]
    assert forced.predicted and forced.threshold == 0.0
    assert {e.label for e in tiny_model.explain(text, labels=["other"]).explanations} == {"diplomacy", "economy", "military"}
    assert [e.task for e in tiny_model.explain(text, tasks=["region"]).explanations] == ["region"]
    assert tiny_model.explain(text, tasks="region").explanations[0].threshold is None

    with pytest.raises(newsclf.LabelError, match="unknown label 'sport'"):
        tiny_model.explain(text, labels=["sport"])
    with pytest.raises(newsclf.LabelError, match="unknown task 'genre'"):
        tiny_model.explain(text, tasks=["genre"])
    with pytest.raises(ValueError, match="top must be a positive integer"):
        tiny_model.explain(text, top=0)
    with pytest.raises(ValueError, match="must be a number in"):
        tiny_model.explain(text, thresholds={"economy": 1.5})


def test_one_document_or_a_list(tiny_model):
    assert isinstance(tiny_model.explain(("Title", "Body")), DocumentExplanation)
    assert isinstance(tiny_model.explain({"title": "Title"}), DocumentExplanation)
    many = tiny_model.explain(["Lavrov backs Maduro", "Oil rises"])
    assert [r.title for r in many] == ["Lavrov backs Maduro", "Oil rises"]
    assert tiny_model.explain([]) == []


def test_top_limits_and_orders_terms(tiny_model):
    e = tiny_model.explain(DOCS[1], labels=["military"], top=3).explanations[0]
    assert len(e.up) <= 3 and len(e.down) <= 3
    assert [c for _, c in e.up] == sorted((c for _, c in e.up), reverse=True) and all(c > 0 for _, c in e.up)
    assert [c for _, c in e.down] == sorted(c for _, c in e.down) and all(c < 0 for _, c in e.down)
    assert e.up[0] == max(e.terms, key=lambda t: t[1])


def test_empty_text_is_the_intercept(tiny_model):
    result = tiny_model.explain("?!", labels=_all_labels(tiny_model))
    assert result.status == "empty_text"
    for e in result.explanations:
        assert e.terms == () and e.features == () and e.decision == pytest.approx(e.intercept)


def test_as_dict_is_json(tiny_model):
    result = tiny_model.explain(DOCS[1])
    data = json.loads(json.dumps(result.as_dict()))
    assert data["language"] == "en" and data["explanations"][0]["up"]
    assert "features" not in data["explanations"][0]
    full = result.as_dict(features=True)["explanations"][0]
    e = result.explanations[0]
    assert abs(e.intercept + sum(f["contribution"] for f in full["features"]) - e.decision) < 1e-6


def test_html_escapes_and_highlights(tiny_model):
    text = '<script>alert("x")</script> Maduro & Lavrov'
    page = tiny_model.explain(text).to_html()
    assert "<script" not in page and "&lt;" in page and "&quot;x&quot;" in page and "&amp;" in page
    assert page.startswith("<!DOCTYPE html>") and 'class="w"' in page and ">Maduro</span>" in page


def test_top_terms(tiny_model):
    table = top_terms(tiny_model, 4)
    assert set(table) == {"topic", "region"}
    assert set(table["topic"]) == {"diplomacy", "economy", "military"}
    for labels in table.values():
        for sides in labels.values():
            weights = [w for _, w in sides["up"]]
            assert 0 < len(weights) <= 4 and weights == sorted(weights, reverse=True) and weights[0] > 0
            assert all(w < 0 for _, w in sides["down"])
    with pytest.raises(ValueError, match="n must be"):
        top_terms(tiny_model, 0)


@pytest.mark.parametrize(
    "name, shown",
    [
        ("w:milit", "milit (stem)"),
        ("w:respald moscu", "respald moscu (stems)"),
        ("c: mosc", '" mosc" (characters)'),
        ("k:VE", "country:VE (Venezuela)"),
        ("r:latin_america", "region:latin_america"),
        ("z:europe", "region:europe (title's last country)"),
    ],
)
def test_describe_feature(name, shown):
    assert describe_feature(name) == shown


@pytest.mark.shared
def test_spanish_article_names_its_words(shared):
    (path,) = sorted((shared / "examples").glob("*.txt"))
    model = newsclf.load()
    result = model.explain({"title": "", "body": path.read_text(encoding="utf-8")})
    predicted = [e for e in result.explanations if e.predicted]
    assert {(e.task, e.label) for e in predicted} == {("topic", "diplomacy"), ("topic", "military"), ("region", "latin_america")}
    top_words = {word for e in predicted for term, _ in e.up for word in term.split()}
    assert top_words & {"milicianos", "Lavrov", "Maduro"}
    wider = model.explain({"title": "", "body": path.read_text(encoding="utf-8")}, top=20)
    assert {"milicianos", "Lavrov", "Maduro"} <= {t for e in wider.explanations for t, _ in e.up}
    for e in result.explanations:
        assert abs(e.intercept + sum(c for _, _, c in e.features) - e.decision) < 1e-6


# -- command line ----------------------------------------------------------------------------------
def test_cli_explain_text_json_html(tiny_model_dir, tmp_path, capsys):
    capsys.readouterr()
    assert main(["explain", "-m", str(tiny_model_dir), "Lavrov backs Maduro", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("language en;") and "decision" in out and "intercept" in out and "pushed up:" in out

    page = tmp_path / "why.html"
    body = tmp_path / "body.txt"
    body.write_text("Maduro ordered troops to the coast.", encoding="utf-8")
    argv = ["explain", "-m", str(tiny_model_dir), "Venezuela mobilises", "--body-file", str(body), "--json", "--html", str(page)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["body"] == "Maduro ordered troops to the coast." and data["explanations"]
    for e in data["explanations"]:
        assert len(e["up"]) <= 10
        assert abs(e["intercept"] + sum(s["contribution"] for s in e["spans"]) - e["decision"]) < 1e-6
    assert "explanation written to" in captured.err
    assert "Maduro</span>" in page.read_text(encoding="utf-8")


def test_cli_explain_errors(tiny_model_dir, tmp_path, capsys):
    assert main(["explain", "-m", str(tiny_model_dir)]) == 2
    assert "nothing to explain" in capsys.readouterr().err
    assert main(["explain", "-m", str(tiny_model_dir), "x", "--body-file", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read --body-file" in capsys.readouterr().err
    assert main(["explain", "-m", str(tiny_model_dir), "x", "--label", "sport"]) == 2
    assert "unknown label 'sport'" in capsys.readouterr().err


def test_cli_info_top_terms(tiny_model_dir, capsys):
    capsys.readouterr()
    assert main(["info", str(tiny_model_dir), "--top-terms", "3"]) == 0
    out = capsys.readouterr().out
    assert "thresholds: diplomacy" in out and "strongest features per label" in out
    assert "topic = economy" in out and "region = latin_america" in out
    assert main(["info", str(tiny_model_dir), "--json", "--top-terms", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["top_terms"]["topic"]["military"]["up"]) == 2 and data["corpus"]["rows"] == 48
    assert main(["info", str(tiny_model_dir), "--top-terms", "0"]) == 2


def _score(model_dir, src, out, *extra):
    assert main(["score", str(src), "-o", str(out), "-m", str(model_dir), "-j", "1", "-q", *extra]) == 0
    with open(out, encoding="utf-8", newline="") as f:
        return [row["pred_topic"].split("|") for row in csv.DictReader(f)]


def test_cli_score_threshold(tiny_model_dir, tiny_records, tmp_path, capsys):
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body"])
        writer.writerows([r["title"], r["body"]] for r in tiny_records[:12])
    learned = _score(tiny_model_dir, src, tmp_path / "a.csv")
    low = _score(tiny_model_dir, src, tmp_path / "b.csv", "--threshold", "economy=0")
    high = _score(tiny_model_dir, src, tmp_path / "c.csv", "--threshold", "economy=1", "--threshold", "military=1")
    assert all("economy" in labels for labels in low)
    assert any("economy" not in labels for labels in learned)
    assert not any({"economy", "military"} & set(labels) for labels in high)
    assert [set(a) - {"economy", "other"} for a in learned] == [set(b) - {"economy", "other"} for b in low]
    assert main(["score", str(src), "-o", str(tmp_path / "d.csv"), "-m", str(tiny_model_dir), "--threshold", "sport=0.5"]) == 2
    assert "unknown label 'sport'" in capsys.readouterr().err
    assert main(["score", str(src), "-o", str(tmp_path / "d.csv"), "-m", str(tiny_model_dir), "--threshold", "economy=2"]) == 2
    assert "must be a number in [0, 1]" in capsys.readouterr().err
    assert not (tmp_path / "d.csv").exists()
