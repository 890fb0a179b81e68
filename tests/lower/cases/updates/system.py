"""A machine that pulls signed updates from a `pydeclos publish` directory over HTTP."""

from pathlib import Path

config = {
    "image": {"id": "fleet", "updates": {
        "source": "https://updates.example.org/fleet/",
        "public_key": (Path(__file__).parent / "updates.asc").read_text(),
    }},
}
