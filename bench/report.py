"""Write a benchmark's results as docs/performance.md and the chart it shows."""

from bench.chart import write_chart
from bench.markdown import render_markdown


def write(results, *, markdown, chart):
    write_chart(results, chart)
    markdown.write_text(render_markdown(results, chart_name=chart.name))
