"""Tasks for the worker's tests: each notes in a collection of its own that it ran, and how."""

import time

from django.db import connection
from django.tasks import task

EFFECTS = "test_job_effects"


def effects() -> list[dict]:
    return list(connection.database[EFFECTS].find({}, {"_id": 0}).sort("at", 1))


def effect_note(**note) -> None:
    connection.database[EFFECTS].insert_one({**note, "at": time.time()})


@task
def note(*, label: str) -> str:
    effect_note(label=label)
    return label.upper()


@task
def fail(*, label: str) -> None:
    effect_note(label=label)
    raise ValueError(f"{label} failed")


@task
def slow(*, label: str, seconds: float) -> None:
    """Note the start, wait, then apply its effect once: a second run after it finished does nothing."""
    effect_note(label=label, stage="started")
    time.sleep(seconds)
    connection.database[EFFECTS].update_one(
        {"label": label, "stage": "done"}, {"$setOnInsert": {"at": time.time()}}, upsert=True
    )


@task
def tick() -> None:
    effect_note(label="tick")
