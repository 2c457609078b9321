"""Load benchmarks of the shop served by gunicorn on the embedded database (`python -m bench`).

The report lands in docs/performance.md and docs/performance.png.
"""
