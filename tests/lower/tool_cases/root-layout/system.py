"""The whole-root A/B layout, with an image id and version of its own."""


def config(cfg):
    return {"image": {"layout": "root", "id": "my_os", "version": 3}}
