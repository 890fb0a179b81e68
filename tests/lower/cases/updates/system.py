"""A machine that pulls signed updates from a `pydeclos publish` directory over HTTP, by
its timer, and switches to them in a maintenance window."""

from pathlib import Path

config = {
    "image": {"id": "fleet", "updates": {
        "source": "https://updates.example.org/fleet/",
        "public_key": (Path(__file__).parent / "updates.asc").read_text(),
        "automatic": {"enable": True, "calendar": "*-*-* 04:00:00", "random_delay": "1h",
                      "policy": "window", "window": "Sun *-*-* 02:00:00"},
    }},
}
