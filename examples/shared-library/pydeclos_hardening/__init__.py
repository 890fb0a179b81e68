"""Reusable pydeclos modules; each is registered under the `pydeclos.modules` entry points."""
