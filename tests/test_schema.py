import pytest

from newsclf.errors import LabelError
from newsclf.schema import DEFAULT_TASKS, Task, parse_tasks


def test_parse_tasks_spellings():
    tasks = parse_tasks({"topic": "multi:other", "region": "single"})
    assert [(t.name, t.kind, t.empty) for t in tasks] == [("topic", "multi", "other"), ("region", "single", None)]
    assert parse_tasks(["topic:multi:"])[0].empty is None
    assert parse_tasks(None) == DEFAULT_TASKS
    assert parse_tasks(["topic:multi"])[0].spec == "topic:multi"
    assert parse_tasks(["topic:multi:other"])[0].spec == "topic:multi:other"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"topic": "several"}, "kind must be 'single' or 'multi'"),
        (["topic"], "written 'name:single'"),
        ({"region": "single:x"}, "takes no empty label"),
        (["a:single", "a:multi"], "must be unique"),
        ([], "at least one task"),
        (42, "tasks must be"),
    ],
)
def test_parse_tasks_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_tasks(spec)


def test_multi_label_cells():
    topic = DEFAULT_TASKS[0]
    assert topic.parse("military|diplomacy") == ("diplomacy", "military")
    assert topic.parse(["economy", " diplomacy "]) == ("diplomacy", "economy")
    assert topic.parse("other") == ("other",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("other|military", "cannot go together"),
        ("sport", "unknown label 'sport'"),
        ("", "no label"),
        (None, "no label"),
        (3, "must be a string or a list"),
        ([1, 2], "every label must be a string"),
    ],
)
def test_multi_label_cell_errors(value, message):
    with pytest.raises(LabelError, match=message):
        DEFAULT_TASKS[0].parse(value)


def test_single_label_cell_refuses_two_labels():
    with pytest.raises(LabelError, match="single-label but got 2"):
        Task("region", "single").parse(["europe", "asia"])


def test_resolve_detects_empty_label_only_when_it_stands_alone():
    rows = [("diplomacy",), ("other",), ("economy", "military")]
    assert Task("topic", "multi").resolve(rows).empty == "other"
    assert Task("topic", "multi").resolve(rows + [("other", "economy")]).empty is None
    assert Task("topic", "multi", empty=None).resolve(rows).empty is None
    assert Task("topic", "multi").resolve(rows).labels == ("diplomacy", "economy", "military", "other")


def test_task_json_round_trip():
    for task in DEFAULT_TASKS:
        assert Task.from_json(task.to_json()) == task
