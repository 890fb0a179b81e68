"""The `root` layout: the whole root in the A/B slots, /var and /home persistent."""

config = {"image": {"layout": "root", "id": "my_os", "version": 3}}
