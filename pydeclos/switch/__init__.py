"""On the running system: read generations, plan a switch, install and activate it, roll back.

Layers: `source` reads build outputs, `machine` reads the running system, `description`
is what both turn into, `plan` compares two descriptions (pure), `activate` is the only
part that changes the machine.
"""
