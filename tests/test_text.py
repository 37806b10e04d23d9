import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsclf.text import LANGUAGES, analyze, detect_language, normalize, stem, stop_words, tokenize


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("Russia's army doesn't retreat; U.S. says 2.4% growth", ["russia", "army", "doesn't", "retreat", "u.s", "says", "2.4%", "growth"]),
        ("¿Qué dijo EE.UU. sobre la alianza ruso-venezolana?", ["qué", "dijo", "ee.uu", "sobre", "la", "alianza", "ruso", "venezolana"]),
        ("«L’armée d’Haïti» s'est retirée jusqu'à l'aube", ["l", "armée", "d", "haïti", "s", "est", "retirée", "jusqu", "à", "l", "aube"]),
        ("Inflação de 4,5% preocupa o Banco Central; disse-lhe o ministro", ["inflação", "de", "4,5%", "preocupa", "o", "banco", "central", "disse", "lhe", "o", "ministro"]),
        ("¡GOLAZO! 2-1 en el clásico", ["golazo", "2", "1", "en", "el", "clásico"]),
    ],
)
def test_tokenize_four_languages(raw, tokens):
    assert tokenize(normalize(raw)) == tokens


def test_normalize_folds_case_width_ligatures_and_quotes():
    assert normalize("ＬＡＶＲＯＶ ﬁrma l’acuerdo\u200b") == "lavrov firma l'acuerdo"
    assert normalize("STRASSE ß") == "strasse ss"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Lavrov reaffirms Moscow's support for Maduro amid US pressure", "en"),
        ("Lavrov reafirma el respaldo de Moscú a Maduro", "es"),
        ("Lula recebe Macron em Brasília e assina acordos de defesa", "pt"),
        ("La France rappelle son ambassadeur au Niger après le coup d'État", "fr"),
        ("Inflação desacelera em outubro", "pt"),
        ("Huelga de transportistas paraliza las carreteras", "es"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(normalize(text)) == lang


def test_detect_language_default_without_evidence():
    assert detect_language(normalize("2024 — 3:1"), default="es") == "es"


@pytest.mark.parametrize(
    ("lang", "words", "same"),
    [
        ("en", ["militias", "militia"], True),
        ("es", ["venezolanos", "venezolana"], True),
        ("pt", ["exportações", "exportação"], True),
        ("fr", ["négociations", "négociation"], True),
        ("es", ["milicia", "economía"], False),
    ],
)
def test_stem_merges_inflections(lang, words, same):
    stems = {stem(normalize(w), lang) for w in words}
    assert (len(stems) == 1) is same


def test_stop_words_shipped_for_every_language():
    for lang in LANGUAGES:
        words = stop_words(lang)
        assert len(words) > 80
        assert all(w == normalize(w) for w in words)
    assert "el" in stop_words("es") and "el" not in stop_words("en")
    with pytest.raises(ValueError, match="lang must be one of"):
        stop_words("de")


def test_analyze_drops_stop_words_and_stems():
    result = analyze("Las milicias venezolanas se movilizan contra la presión")
    assert result.lang == "es"
    assert "las" not in result.tokens and "milicias" in result.tokens
    assert len(result.tokens) == len(result.stems)
    assert analyze("Las milicias", remove_stop_words=False, stemming=False).stems == ["las", "milicias"]


def test_analyze_rejects_unknown_language():
    with pytest.raises(ValueError, match="lang must be one of"):
        analyze("text", lang="xx")


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_tokenize_never_raises_and_yields_nonempty_tokens(text):
    tokens = tokenize(normalize(text))
    assert all(tokens) and all(isinstance(t, str) for t in tokens)


def test_normalize_rejects_non_strings():
    with pytest.raises(TypeError, match="text must be str"):
        normalize(3)


def test_cues_skipped_for_ascii_text_cannot_match_it():
    from newsclf.text import _CUES

    for pattern, _, _, ascii_ok in _CUES:
        if not ascii_ok:  # one character class: if no ASCII character matches, no ASCII text does
            assert pattern.pattern.startswith("[") and pattern.pattern.count("[") == 1 and pattern.pattern.endswith("]")
            assert not any(pattern.search(chr(code)) for code in range(128))


@given(st.text(alphabet=st.sampled_from("ab `'\u2019\u00ad\u200b\u2010é")) | st.text())
def test_translation_is_skipped_only_when_it_would_change_nothing(text):
    from newsclf.text import _TRANSLATE, _translate

    assert _translate(text) == text.translate(_TRANSLATE)
