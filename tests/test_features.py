import numpy as np
import pytest
from sklearn.base import clone

from newsclf.document import as_documents
from newsclf.features import Featurizer

DOCS = as_documents(
    [
        {"title": "Maduro moviliza a las milicias", "body": "El gobierno venezolano activó a los milicianos."},
        {"title": "Oil prices rise", "body": "Brent crude rose on Monday as OPEC cut output."},
        {"title": "Le PSG s'impose", "body": "Les Parisiens ont gagné au Parc des Princes."},
        "Banco Central eleva a Selic",
    ]
)


def test_shapes_and_blocks():
    f = Featurizer(char_ngram_range=(2, 4), country_weight=0)
    X = f.fit_transform(DOCS)
    assert X.shape == (4, len(f.word_terms_) + len(f.char_terms_)) == (4, f.n_features_)
    assert np.allclose(np.sqrt(X.multiply(X).sum(axis=1)).A.ravel(), np.sqrt(2))  # two unit blocks
    names = f.feature_names()
    assert "w:milici" in names and "w:oil price" in names and "c: oil " not in names
    assert any(n.startswith("c:") for n in names)
    assert np.allclose(f.transform(DOCS).toarray(), X.toarray())


def test_chars_and_countries_off_gives_one_block():
    f = Featurizer(char_ngram_range=None, country_weight=0)
    X = f.fit_transform(DOCS)
    assert f.char_terms_ == [] and X.shape[1] == len(f.word_terms_)


def test_title_weight_raises_title_terms():
    doc = as_documents([{"title": "sanctions", "body": "tariffs"}])
    docs = doc + as_documents(["sanctions tariffs", "other words"])
    heavy = Featurizer(char_ngram_range=None, title_weight=3.0).fit(docs)
    flat = Featurizer(char_ngram_range=None, title_weight=1.0).fit(docs)

    def ratio(f):
        row = f.transform(doc).toarray()[0]
        return row[f.word_terms_.index("sanction")] / row[f.word_terms_.index("tariff")]

    assert ratio(heavy) > ratio(flat) == pytest.approx(1.0)


def test_unseen_words_still_get_character_features():
    f = Featurizer(char_ngram_range=(3, 4)).fit(DOCS)
    X = f.transform(as_documents(["milicianas"]))
    char_part = X[:, len(f.word_terms_):]
    assert X[:, : len(f.word_terms_)].nnz == 0 and char_part.nnz > 0


def test_vocabulary_bounds_and_min_df():
    f = Featurizer(max_word_features=5, max_char_features=7).fit(DOCS)
    assert len(f.word_terms_) == 5 and len(f.char_terms_) == 7
    f = Featurizer(min_df=2, char_ngram_range=None).fit(DOCS)
    assert len(f.word_terms_) < len(Featurizer(char_ngram_range=None).fit(DOCS).word_terms_)


def test_deterministic_and_clonable():
    a = Featurizer().fit(DOCS)
    b = clone(a).fit(list(reversed(DOCS)))
    assert a.feature_names() == b.feature_names()
    assert np.array_equal(a.word_idf_, b.word_idf_)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"word_ngram_range": (2, 1)}, "word_ngram_range must be"),
        ({"char_ngram_range": (0, 3)}, "char_ngram_range must be"),
        ({"title_weight": 0}, "title_weight must be"),
        ({"min_df": 0}, "min_df must be"),
        ({"max_word_features": -1}, "max_word_features must be"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        Featurizer(**params).fit(DOCS)


def test_fit_on_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty list"):
        Featurizer().fit([])


def test_country_block_names_countries_and_regions():
    f = Featurizer(char_ngram_range=None, country_weight=0.5)
    docs = as_documents([{"title": "Reunión en Caracas", "body": "Moscú y EE.UU."}, "no country here"])
    X, info = f.fit(docs).transform_with_info(docs)
    assert info.countries == [("VE", "RU", "US"), ()]
    names = f.feature_names()
    row = dict(zip(names, X.toarray()[0]))
    assert row["k:VE"] > row["k:RU"] > 0 and row["r:latin_america"] > row["r:europe"] > 0
    assert row["z:latin_america"] > 0 and row["z:europe"] == 0  # the country named last in the title
    country_part = X.toarray()[0][len(f.word_terms_):]
    assert np.linalg.norm(country_part) == pytest.approx(0.5)
    assert not X.toarray()[1][len(f.word_terms_):].any()


def test_analysis_in_several_processes_gives_the_same_features(tiny_records):
    # 1,200 documents: above the size from which a batch is shared among processes.
    records = [tiny_records[i % len(tiny_records)] for i in range(1200)]
    docs = as_documents([{"title": f"{r['title']} {i}", "body": r["body"]} for i, r in enumerate(records)])
    serial = Featurizer(char_ngram_range=(3, 4))
    X = serial.fit_transform(docs)
    parallel = Featurizer(char_ngram_range=(3, 4), n_jobs=2)
    Y = parallel.fit_transform(docs)
    assert parallel.word_terms_ == serial.word_terms_ and parallel.char_terms_ == serial.char_terms_
    assert abs(X - Y).max() == 0
    Z, info = serial.transform_with_info(docs, n_jobs=2)
    assert abs(X - Z).max() == 0
    assert info == serial.transform_with_info(docs)[1]


def test_max_features_breaks_frequency_ties_alphabetically():
    docs = as_documents(["zeta alpha", "zeta beta", "gamma delta"])
    f = Featurizer(char_ngram_range=None, country_weight=0, stop_words=False, stemming=False,
                   word_ngram_range=(1, 1), max_word_features=3)  # fmt: skip
    f.fit(docs)
    # zeta (df 2) first, then the alphabetically first two of the df-1 words
    assert f.word_terms_ == ["alpha", "beta", "zeta"]
