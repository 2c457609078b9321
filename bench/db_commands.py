"""Count the database commands each request sends, with pymongo command monitoring.

bench/settings.py hands `command_counter` to the MongoClient (`event_listeners`) and puts
`db_command_headers` first in MIDDLEWARE, so every command a request causes, the session save
included, is counted and reported to the load tool in response headers.
"""

import threading

from pymongo import monitoring

COMMANDS_HEADER = "X-Bench-Db-Commands"
COMMAND_NAMES_HEADER = "X-Bench-Db-Command-Names"
DB_MILLISECONDS_HEADER = "X-Bench-Db-Ms"


class CommandCounter(monitoring.CommandListener):
    """Record the name and round-trip time of every command sent by the current thread."""

    def __init__(self):
        self._local = threading.local()

    def reset(self):
        self._local.names = []
        self._local.microseconds = 0

    def snapshot(self):
        """Return (command names, total round-trip milliseconds) since the last reset."""
        return list(getattr(self._local, "names", [])), getattr(self._local, "microseconds", 0) / 1000

    def started(self, event):
        if hasattr(self._local, "names"):
            self._local.names.append(event.command_name)

    def succeeded(self, event):
        self._add_duration(event)

    def failed(self, event):
        self._add_duration(event)

    def _add_duration(self, event):
        if hasattr(self._local, "microseconds"):
            self._local.microseconds += event.duration_micros


command_counter = CommandCounter()


def db_command_headers(get_response):
    """Report the commands this request sent (count, names, milliseconds) in response headers."""

    def middleware(request):
        command_counter.reset()
        response = get_response(request)
        names, milliseconds = command_counter.snapshot()
        response[COMMANDS_HEADER] = str(len(names))
        response[COMMAND_NAMES_HEADER] = ",".join(names)
        response[DB_MILLISECONDS_HEADER] = f"{milliseconds:.2f}"
        return response

    return middleware
