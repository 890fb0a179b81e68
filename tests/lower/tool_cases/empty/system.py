"""Nothing declared: the standard library's defaults alone."""


def config(cfg):
    return {}
