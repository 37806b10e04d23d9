"""newsclf: classify news headlines and articles by topic and world region.

The public API::

    import newsclf
    model = newsclf.load()                      # the bundled default model
    model.predict(["Lavrov backs Maduro"])      # -> [Prediction(labels={...}, scores={...}, ...)]
    model = newsclf.train("corpus.csv", tasks={"topic": "multi", "region": "single"})
    model.save("my-model"); newsclf.load("my-model")

Errors are subclasses of :class:`NewsclfError` (see :mod:`newsclf.errors`).
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import CorpusError, LabelError, ModelFormatError, NewsclfError
from .estimator import NewsClassifier
from .model import Model, Prediction, load, train
from .schema import DEFAULT_TASKS, Task

try:
    __version__ = version("newsclf")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = sorted(
    [
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
)
