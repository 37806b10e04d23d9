"""The ``newsclf`` command line: each sub-command is a thin call into the library.

Data goes to stdout, messages to stderr. A :class:`~newsclf.errors.NewsclfError` (or a bad
parameter value) becomes one line ``newsclf: error: ...`` on stderr and exit code 2.

    newsclf train CORPUS... -o MODEL_DIR [--task topic:multi --task region:single] [options]
    newsclf predict [--model DIR] [--json] [-k N] [--threshold LABEL=P] [TEXT...]   (or lines on stdin)
    newsclf score INPUT -o OUTPUT [--model DIR] [-j N] [--resume] [options]
    newsclf evaluate MODEL_DIR TEST... [--by COLUMN] [--json] [--report DIR] [--threshold LABEL=P]
    newsclf info MODEL_DIR [--json] [--top-terms N]
    newsclf explain [TEXT] [--body TEXT | --body-file FILE] [--model DIR] [--json] [--top N] [--html FILE]
    newsclf tune CORPUS... -o MODEL_DIR [--task ...] [--grid JSON|FILE] [--cv K] [--group-column COL] [-j N]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import __version__
from .errors import NewsclfError

__all__ = ["main"]


def _pair(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two integers LO,HI (got {text!r})") from None
    return lo, hi


def _char_range(text: str):
    return None if text.lower() in ("none", "off", "0") else _pair(text)


def _threshold(text: str) -> tuple[str, float]:
    label, sep, value = text.rpartition("=")
    try:
        if not sep or not label:
            raise ValueError
        return label, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LABEL=PROBABILITY (got {text!r})") from None


def _add_threshold_option(p) -> None:
    p.add_argument("--threshold", type=_threshold, action="append", default=[], metavar="LABEL=P",
                   help="override a multi-label threshold (repeatable)")  # fmt: skip


def _add_reading_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the corpus")
    g.add_argument("--title-column", default="title", help="column holding the headline (default: title)")
    g.add_argument("--body-column", default="body", help="column holding the body (default: body)")
    g.add_argument("--text-column", help="read one text column instead of title and body")
    g.add_argument(
        "--label-column", action="append", default=[], metavar="TASK=COLUMN",
        help="read TASK's labels from COLUMN (default: the column named like the task)",
    )
    g.add_argument("--delimiter", help="CSV delimiter (default: guessed from the header)")
    g.add_argument("--encoding", default="utf-8-sig", help="text encoding (default: utf-8, BOM ignored)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsclf", description="Classify news by topic and world region.")
    parser.add_argument("--version", action="version", version=f"newsclf {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model on labelled corpora", description="Train a model on labelled corpora (CSV, TSV, JSONL, optionally gzipped).")
    p.add_argument("corpus", nargs="+", help="corpus file(s)")
    p.add_argument("-o", "--output", required=True, help="directory to write the model to")
    p.add_argument(
        "--task", action="append", metavar="NAME:KIND[:EMPTY]",
        help="a task to learn, e.g. topic:multi:other or region:single (repeatable; default: the newsclf taxonomy)",
    )
    _add_reading_options(p)
    p.add_argument("--strict", action="store_true", help="stop at the first bad row instead of skipping it")
    g = p.add_argument_group("model parameters")
    g.add_argument("--C", type=float, default=0.5, help="inverse regularisation strength (default: 0.5)")
    g.add_argument("--class-weight", choices=["balanced", "none"], default="none", help="weigh rare labels up")
    g.add_argument("--cv", type=int, default=3, help="folds for calibration and thresholds (default: 3)")
    g.add_argument("--tol", type=float, default=0.1, help="solver stopping tolerance; smaller is slower (default: 0.1)")
    g.add_argument("--title-weight", type=float, default=2.0, help="weight of title words (default: 2)")
    g.add_argument("--word-ngrams", type=_pair, default=(1, 2), metavar="LO,HI", help="word n-gram range (default: 1,2)")
    g.add_argument("--char-ngrams", type=_char_range, default=(3, 5), metavar="LO,HI|none", help="character n-gram range (default: 3,5)")
    g.add_argument("--min-df", type=int, default=1, help="minimum document frequency of a term (default: 1)")
    g.add_argument("--max-word-features", type=int, default=200_000, help="word vocabulary bound")
    g.add_argument("--max-char-features", type=int, default=200_000, help="character vocabulary bound")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument("-j", "--jobs", type=int, default=None, help="threads for training (default: 1; -1: all cores)")

    p = sub.add_parser("predict", help="label texts given as arguments or as lines on stdin", description="Label texts given as arguments, or one per line on stdin.")
    p.add_argument("text", nargs="*", help="texts to label (default: read lines from stdin)")
    p.add_argument("-m", "--model", help="model directory (default: the bundled model)")
    p.add_argument("--json", action="store_true", help="print one JSON object per text")
    p.add_argument("-k", type=int, help="at most K labels per task")
    _add_threshold_option(p)

    p = sub.add_parser(
        "score", help="label every row of a CSV/TSV/JSONL file",
        description="Label every row of a CSV/TSV/JSONL file (gzip and '-' for stdin too): every input column is "
        "kept, prediction columns are added, one output row per input row, in order.",
    )  # fmt: skip
    p.add_argument("input", help="input file, or - for stdin")
    p.add_argument("-o", "--output", required=True, help="output file, or - for stdout")
    p.add_argument("-m", "--model", help="model directory (default: the bundled model)")
    p.add_argument("--format", choices=["csv", "tsv", "jsonl"], help="output format (default: the input's)")
    p.add_argument("--input-format", choices=["csv", "tsv", "jsonl"], help="input format (default: from the file name)")
    p.add_argument("--title-column", default="title", help="column holding the headline (default: title)")
    p.add_argument("--body-column", default="body", help="column holding the body (default: body)")
    p.add_argument("--text-column", help="read one text column instead of title and body")
    p.add_argument("--delimiter", help="CSV delimiter (default: guessed from the header)")
    p.add_argument("--encoding", default="utf-8-sig", help="input encoding (default: utf-8, BOM ignored)")
    p.add_argument("--all-scores", action="store_true", help="add a score_<task>_<label> column for every label")
    p.add_argument("-j", "--jobs", type=int, default=-1, help="worker processes (default: all cores)")
    p.add_argument("--chunk-rows", type=int, default=2000, help="rows scored at once (default: 2000)")
    p.add_argument("--max-chars", type=int, help="characters read per row; longer rows are truncated")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into the same output")
    _add_threshold_option(p)
    p.add_argument(
        "--dask-scheduler", metavar="ADDRESS",
        help="score the files matching INPUT (a glob) on a Dask cluster (tcp://HOST:8786, or 'local' for this "
        "machine) into the directory OUTPUT, one part per file; needs newsclf[dask]",
    )  # fmt: skip
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("evaluate", help="score a model on labelled test corpora", description="Score a model on labelled test corpora: per-label and per-language tables.")
    p.add_argument("model", help="model directory ('default' for the bundled model)")
    p.add_argument("test", nargs="+", help="labelled corpus file(s) with the model's task columns")
    p.add_argument("--by", action="append", default=[], metavar="COLUMN", help="also break scores down by COLUMN")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--report", metavar="DIR",
        help="also write an HTML page with a confusion matrix and a reliability diagram per task (needs newsclf[plot])",
    )  # fmt: skip
    _add_threshold_option(p)
    _add_reading_options(p)

    p = sub.add_parser("info", help="print a model's card", description="Print a model's card.")
    p.add_argument("model", nargs="?", help="model directory (default: the bundled model)")
    p.add_argument("--json", action="store_true", help="print the whole card as JSON")
    p.add_argument("--top-terms", type=int, metavar="N", help="also list the N strongest positive and negative features of every label")

    p = sub.add_parser(
        "explain", help="show which words pushed each predicted label up or down",
        description="Explain a prediction: for each predicted label, the words of the text that pushed its decision "
        "up and down, with their exact contributions (they add up, with the intercept, to the decision value).",
    )  # fmt: skip
    p.add_argument("text", nargs="?", default="", help="the headline, or a whole text (default: none; give a body)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--body", default="", help="the article's body")
    g.add_argument("--body-file", metavar="FILE", help="read the body from FILE (UTF-8; - for stdin)")
    p.add_argument("-m", "--model", help="model directory (default: the bundled model)")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument("--top", type=int, default=10, metavar="N", help="words shown per direction (default: 10)")
    p.add_argument("--html", metavar="FILE", help="also write an HTML page with the words highlighted in the text")
    p.add_argument("--label", action="append", metavar="LABEL", help="explain LABEL even if it is not predicted (repeatable)")
    _add_threshold_option(p)

    p = sub.add_parser(
        "tune", help="choose parameters by cross-validation and train the best model",
        description="Cross-validated search over regularisation, n-gram ranges, character features, title weight and "
        "class weighting (coarse then fine, see newsclf.tune); writes the best model, whose card records the search.",
    )  # fmt: skip
    p.add_argument("corpus", nargs="+", help="corpus file(s)")
    p.add_argument("-o", "--output", required=True, help="directory to write the best model to")
    p.add_argument(
        "--task", action="append", metavar="NAME:KIND[:EMPTY]",
        help="a task to learn, e.g. topic:multi:other or region:single (repeatable; default: the newsclf taxonomy)",
    )  # fmt: skip
    _add_reading_options(p)
    p.add_argument("--strict", action="store_true", help="stop at the first bad row instead of skipping it")
    g = p.add_argument_group("search")
    g.add_argument(
        "--grid", metavar="JSON|FILE",
        help='values to try, as JSON or a JSON file, e.g. \'{"C": [0.1, 1], "char_ngram_range": [null, [2, 5]]}\' '
        "(default: newsclf.tune.DEFAULT_GRID)",
    )  # fmt: skip
    g.add_argument("--cv", type=int, default=3, help="folds of the search (default: 3)")
    g.add_argument("--group-column", metavar="COL", help="keep rows with the same value in COL in the same fold")
    g.add_argument("--scoring", metavar="TASK[:METRIC]", help="optimise one task's score (default: the mean over tasks of accuracy / micro-F1)")
    g.add_argument("--keep", type=int, default=1, help="feature configurations refined with every C and class weight (default: 1; 0: all)")
    g.add_argument("--fixed", action="append", default=[], metavar="NAME=JSON", help="fix a model parameter, e.g. min_df=2 or cv=3 (repeatable)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument("-j", "--jobs", type=int, default=None, help="processes (default: 1; -1: all cores)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def _cmd_train(args) -> int:
    from .model import train

    label_columns = dict(_split_mapping(item, "--label-column") for item in args.label_column)
    model = train(
        args.corpus,
        args.task,
        title_column=args.title_column, body_column=args.body_column, text_column=args.text_column,
        label_columns=label_columns, delimiter=args.delimiter, encoding=args.encoding, strict=args.strict,
        C=args.C, class_weight=None if args.class_weight == "none" else args.class_weight, cv=args.cv,
        title_weight=args.title_weight, word_ngram_range=args.word_ngrams, char_ngram_range=args.char_ngrams,
        min_df=args.min_df, max_word_features=args.max_word_features, max_char_features=args.max_char_features,
        tol=args.tol, random_state=args.seed, n_jobs=args.jobs,
    )  # fmt: skip
    path = model.save(args.output)
    corpus = model.card["corpus"]
    print(f"trained on {corpus['kept']} of {corpus['rows']} rows; model written to {path}", file=sys.stderr)
    if corpus["skipped"]:
        print(f"skipped rows: {corpus['skipped']}; first: {corpus['examples'][0]}", file=sys.stderr)
    _print_scores(model.card)
    return 0


def _split_mapping(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key or not value:
        raise ValueError(f"{option} must be written KEY=VALUE (got {item!r})")
    return key, value


def _print_scores(card: dict, out=sys.stderr) -> None:
    for task in card.get("tasks", []):
        s = card.get("cv_scores", {}).get(task["name"])
        if not s:
            continue
        main = f"accuracy {s['accuracy']:.3f}" if task["kind"] == "single" else f"micro-F1 {s['micro_f1']:.3f}"
        print(f"  {task['name']}: cross-validated {main}, macro-F1 {s['macro_f1']:.3f}, ECE {s['ece']:.3f}", file=out)


def _format_prediction(pred, text: str) -> str:
    parts = []
    for task, labels in pred.labels.items():
        scores = pred.scores[task]
        parts.append(f"{task}=" + ",".join(f"{label}({scores[label]:.2f})" for label in labels))
    if pred.countries:
        parts.append("countries=" + ",".join(pred.countries))
    if pred.status != "ok":
        parts.append(f"status={pred.status}")
    snippet = text.replace("\n", " ")
    return "  ".join(parts) + "\t" + (snippet[:77] + "..." if len(snippet) > 80 else snippet)


def _cmd_predict(args) -> int:
    from .model import load

    model = load(args.model)
    texts = args.text or [line.rstrip("\n") for line in sys.stdin]
    predictions = model.predict(texts, k=args.k, thresholds=dict(args.threshold))
    for text, pred in zip(texts, predictions):
        if args.json:
            print(json.dumps({"text": text, **pred.as_dict()}, ensure_ascii=False))
        else:
            print(_format_prediction(pred, text))
    return 0


def _cmd_score(args) -> int:
    from .scoring import score_file

    if args.dask_scheduler:
        from .cluster import score_files_dask

        if args.threshold:
            raise ValueError("--threshold cannot be used with --dask-scheduler (Dask workers use the learned thresholds)")
        scheduler = None if args.dask_scheduler == "local" else args.dask_scheduler
        written = score_files_dask(
            args.input, args.output, args.model, scheduler=scheduler, delimiter=args.delimiter, encoding=args.encoding,
            all_scores=args.all_scores, title_column=args.title_column, body_column=args.body_column,
            text_column=args.text_column,
        )  # fmt: skip
        print(f"wrote {len(written)} part(s) to {args.output}", file=sys.stderr)
        return 0

    summary = score_file(
        args.input, args.output, args.model, fmt=args.input_format, out_fmt=args.format, delimiter=args.delimiter,
        title_column=args.title_column, body_column=args.body_column, text_column=args.text_column,
        encoding=args.encoding, all_scores=args.all_scores, chunk_rows=args.chunk_rows, n_jobs=args.jobs,
        max_chars=args.max_chars, resume=args.resume, thresholds=dict(args.threshold),
        progress=args.progress or (not args.quiet and sys.stderr.isatty()),
    )  # fmt: skip
    print(summary, file=sys.stderr)
    return 0


def _cmd_evaluate(args) -> int:
    from .corpus import CorpusReport, read_corpus
    from .evaluate import evaluate
    from .model import load

    model = load(None if args.model == "default" else args.model)
    report = CorpusReport()
    records = read_corpus(
        args.test, model.tasks, title_column=args.title_column, body_column=args.body_column,
        text_column=args.text_column, label_columns=dict(_split_mapping(i, "--label-column") for i in args.label_column),
        delimiter=args.delimiter, encoding=args.encoding, report=report, extra_columns=["lang", *args.by],
    )  # fmt: skip
    result = evaluate(model, records, by=args.by, thresholds=dict(args.threshold))
    result.extra["corpus"] = report.to_json()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.format())
        if report.skipped:
            print(f"\nskipped rows: {dict(report.skipped)}")
    if args.report:
        print(f"report written to {result.write_html(args.report)}", file=sys.stderr)
    return 0


def _cmd_info(args) -> int:
    from .model import load

    model = load(args.model)
    card = model.card
    if args.top_terms is not None:
        from .explain import top_terms

        terms = top_terms(model, args.top_terms)
    if args.json:
        print(json.dumps(card if args.top_terms is None else {**card, "top_terms": terms}, indent=2, ensure_ascii=False))
        return 0
    print(repr(model))
    print(f"newsclf {card.get('newsclf_version')}, created {card.get('created')}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in card.get("versions", {}).items()))
    corpus = card.get("corpus", {})
    print(f"corpus: {', '.join(corpus.get('sources', []))}; {corpus.get('kept')} rows kept of {corpus.get('rows')}; sha256 {str(corpus.get('sha256'))[:16]}...")
    for task in model.tasks:
        counts = card.get("label_counts", {}).get(task.name, {})
        print(f"task {task.name} ({task.kind}): " + ", ".join(f"{label} {counts.get(label, 0)}" for label in task.labels))
        if task.name in card.get("thresholds", {}):
            print("  thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in card["thresholds"][task.name].items()))
    _print_scores(card, sys.stdout)
    if args.top_terms is not None:
        from .explain import format_top_terms

        print(f"\nstrongest features per label (weights; stems are shown as stems):\n{format_top_terms(terms)}")
    return 0


def _cmd_explain(args) -> int:
    from .model import load

    body = args.body
    if args.body_file:
        if args.body_file == "-":
            body = sys.stdin.read()
        else:
            try:
                with open(args.body_file, encoding="utf-8") as f:
                    body = f.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read --body-file {args.body_file}: {exc}") from None
    if not args.text.strip() and not body.strip():
        raise ValueError("nothing to explain: give a TEXT, --body or --body-file")
    model = load(args.model)
    result = model.explain(
        {"title": args.text, "body": body}, labels=args.label, top=args.top, thresholds=dict(args.threshold)
    )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.format())
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as f:
                f.write(result.to_html())
        except OSError as exc:
            raise ValueError(f"cannot write --html {args.html}: {exc}") from None
        print(f"explanation written to {args.html}", file=sys.stderr)
    return 0


def _json_option(text: str, option: str):
    """``text`` as JSON, or the JSON in the file it names."""
    import os

    try:
        if os.path.isfile(text):
            with open(text, encoding="utf-8") as f:
                return json.load(f)
        return json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{option} must be JSON or a JSON file ({exc})") from None


def _cmd_tune(args) -> int:
    from .tune import tune

    fixed = {}
    for item in args.fixed:
        name, value = _split_mapping(item, "--fixed")
        try:
            fixed[name] = json.loads(value)
        except json.JSONDecodeError:
            fixed[name] = value  # a bare word, e.g. class_weight=balanced
    for name in ("word_ngram_range", "char_ngram_range"):
        if isinstance(fixed.get(name), list):
            fixed[name] = tuple(fixed[name])
    model, result = tune(
        args.corpus, args.task, grid=_json_option(args.grid, "--grid") if args.grid else None, cv=args.cv,
        group_column=args.group_column, scoring=args.scoring, keep=args.keep or None, params=fixed, n_jobs=args.jobs,
        progress=args.progress or (not args.quiet and sys.stderr.isatty()), random_state=args.seed,
        title_column=args.title_column, body_column=args.body_column, text_column=args.text_column,
        label_columns=dict(_split_mapping(i, "--label-column") for i in args.label_column), delimiter=args.delimiter,
        encoding=args.encoding, strict=args.strict,
    )  # fmt: skip
    path = model.save(args.output)
    print(result.format())
    corpus = model.card["corpus"]
    seconds = result.seconds
    print(
        f"searched {len(result.candidates)} candidates in {seconds['search']:.0f} s; trained on {corpus['kept']} of "
        f"{corpus['rows']} rows in {seconds['final_model']:.0f} s; model written to {path}",
        file=sys.stderr,
    )
    _print_scores(model.card)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="newsclf: %(message)s")
    handlers = {"train": _cmd_train, "predict": _cmd_predict, "score": _cmd_score, "evaluate": _cmd_evaluate, "info": _cmd_info, "explain": _cmd_explain, "tune": _cmd_tune}
    handler = handlers[args.command]
    try:
        return handler(args)
    except (NewsclfError, ValueError, FileExistsError, ImportError) as exc:
        print(f"newsclf: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsclf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # e.g. an output directory that does not exist or cannot be written
        print(f"newsclf: error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 2
