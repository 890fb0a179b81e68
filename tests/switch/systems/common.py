"""What both test generations share: the image id, a hostname, one /etc file kept as is."""

config = {
    "image": {"id": "swtest"},
    "networking": {"hostname": "swtest"},
    "environment": {"etc": {"swtest/edited.conf": {"text": "declared in both\n"}}},
}
