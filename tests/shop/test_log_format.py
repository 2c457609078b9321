import json
import logging
import sys

from shop.log_format import JSONLineFormatter


def test_a_record_becomes_one_json_line_with_its_exception():
    try:
        raise ValueError("card declined")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.getLogger("payments").makeRecord(
        "payments", logging.ERROR, __file__, 1, "order %s failed", ("ORD-1",), exc_info
    )
    line = JSONLineFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "payments"
    assert entry["message"] == "order ORD-1 failed"
    assert "ValueError: card declined" in entry["exception"]
