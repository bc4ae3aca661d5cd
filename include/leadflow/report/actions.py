"""The review's decisions: a small, versioned CSV the meeting appends to, read into each packet.

"The meeting should end with actions": each row is one (``decided`` month ``YYYY-MM``,
``action``, ``owner``, ``due`` date, ``status`` open or done). A packet shows the actions
decided in its month and every earlier one still open, so an action is carried from month to
month until it is marked done. The file lives with the project (``review/actions.csv``, or
``LEADFLOW_ACTIONS``) so that its history is the repository's.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

COLUMNS = ("decided", "action", "owner", "due", "status")


class ActionsFileError(ValueError):
    pass


@dataclass(frozen=True)
class Action:
    decided: str  # YYYY-MM
    action: str
    owner: str
    due: date
    status: str  # open | done

    @property
    def carried(self) -> bool:
        return self.status == "open"


def actions_file(home: Path) -> Path:
    return Path(os.environ.get("LEADFLOW_ACTIONS", home / "review" / "actions.csv"))


def read_actions(path: Path) -> list[Action]:
    """Every action of the file (none when it does not exist); a malformed row is an error naming it."""
    if not path.exists():
        return []
    actions = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ActionsFileError(f"{path}: the header must be {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                date.fromisoformat(f"{row['decided']}-01")
                actions.append(
                    Action(row["decided"], row["action"], row["owner"], date.fromisoformat(row["due"]), row["status"])
                )
            except (TypeError, ValueError) as error:
                raise ActionsFileError(f"{path}, line {line}: {error}") from None
            if row["status"] not in ("open", "done"):
                raise ActionsFileError(f"{path}, line {line}: status must be open or done, not {row['status']!r}")
    return actions


def for_month(actions: list[Action], month: date) -> tuple[list[Action], list[Action]]:
    """(decided in ``month``; decided earlier and still open), each by due date."""
    key = f"{month:%Y-%m}"
    decided = sorted((a for a in actions if a.decided == key), key=lambda a: a.due)
    carried = sorted((a for a in actions if a.decided < key and a.carried), key=lambda a: a.due)
    return decided, carried
