"""Log records as one JSON object a line, for log collectors reading stdout."""

import json
import logging
from datetime import UTC, datetime


class JSONLineFormatter(logging.Formatter):
    """Format a record as {"time", "level", "logger", "message"} plus the exception, if any."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
