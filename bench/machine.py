"""Describe the machine a benchmark ran on."""

import os
import platform
from importlib import metadata
from pathlib import Path


def machine_description():
    """Return {"cpu", "cores", "memory", "os", "python", and package versions} for the report."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {
            name: metadata.version(name)
            for name in ("mongoeco", "Django", "django-mongodb-backend", "pymongo", "gunicorn", "locust")
        },
    }
