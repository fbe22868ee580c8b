"""A size trend as the `points` of a server-rendered inline SVG polyline (no chart library)."""


def sparkline(values: list[int], *, width: int = 120, height: int = 28, pad: int = 2) -> str:
    """'x,y x,y ...' scaled into the box; '' for fewer than two values."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    spread = (high - low) or 1
    step = (width - 2 * pad) / (len(values) - 1)
    inner = height - 2 * pad
    return " ".join(
        f"{pad + i * step:.1f},{pad + inner - (value - low) / spread * inner:.1f}"
        for i, value in enumerate(values)
    )
