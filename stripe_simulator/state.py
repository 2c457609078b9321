"""The simulator's state in a JSON file, so that a restarted simulator still knows the
products, prices, customers and sessions the shop created before (``--state-file``)."""

import json
import os
import tempfile
from pathlib import Path

# Bumped when the layout of the file changes; a file of another version is refused.
FORMAT = 1


class StateFile:
    """Reads the state once at start and rewrites it, atomically, whenever it changed."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._written: str | None = None

    def load(self) -> dict | None:
        """The saved state, None when there is no file yet; ValueError for a file that is
        not one of ours, which is then left untouched."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            saved = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{self.path} is not a Stripe simulator state file: {error}") from None
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise ValueError(f"{self.path} is not a Stripe simulator state file of format {FORMAT}")
        self._written = text
        return saved["state"]

    def save(self, state: dict) -> None:
        text = json.dumps({"format": FORMAT, "state": state}, sort_keys=True)
        if text == self._written:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A crash mid-write must leave the previous file whole: write beside it, then rename.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._written = text
