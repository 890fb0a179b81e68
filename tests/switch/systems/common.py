"""What both test generations share: the image id, a hostname, one /etc file kept as is,
a user whose password hash is a file that only the machine has, and one boot try for a
newly installed generation (boot counting falls back after the first failed boot, so the
VM test boots a failing generation once, not three times)."""

config = {
    "image": {"id": "swtest", "updates": {"boot_tries": 1}},
    "networking": {"hostname": "swtest"},
    "environment": {"etc": {"swtest/edited.conf": {"text": "declared in both\n"}}},
    "users": {"users": {"alice": {"is_normal_user": True,
                                  "hashed_password_file": "/etc/credstore/alice.hash"}}},
}
