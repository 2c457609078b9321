"""How the report writes numbers: milliseconds, ratios, command counts; a dash for what is unknown."""


def ms(value):
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def number(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def times(value):
    return "–" if value is None else f"×{value:,.1f}" if value >= 10 else f"×{value:.2f}"


def commands(row):
    """Return the mean commands per request of a row, with (min to max) when they differ."""
    if row["commands"] is None:
        return "–"
    spread = (
        ""
        if row["commands_min"] == row["commands_max"]
        else f" ({row['commands_min']}–{row['commands_max']})"
    )
    return f"{row['commands']:.1f}{spread}"
