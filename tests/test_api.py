import newsclf


def test_public_names_are_pinned():
    assert newsclf.__all__ == [
        "CorpusError",
        "DEFAULT_TASKS",
        "LabelError",
        "Model",
        "ModelFormatError",
        "NewsClassifier",
        "NewsclfError",
        "Prediction",
        "Task",
        "__version__",
        "load",
        "train",
    ]
    for name in newsclf.__all__:
        assert hasattr(newsclf, name)


def test_error_hierarchy():
    for cls in (newsclf.CorpusError, newsclf.LabelError, newsclf.ModelFormatError):
        assert issubclass(cls, newsclf.NewsclfError)
