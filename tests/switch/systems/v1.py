"""Generation 1 of the switch tests: two /etc files that generation 2 changes and drops."""

imports = ["./common.py"]

config = {
    "environment": {"etc": {
        "swtest/changed.conf": {"text": "version 1\n"},
        "swtest/removed.conf": {"text": "only in generation 1\n"},
    }},
}
