"""`pydeclos switch`, `rollback`, `generations`, `diff`: on the running system."""

from pydeclos.cli import not_implemented

switch_cmd = not_implemented("switch")
rollback_cmd = not_implemented("rollback")
generations_cmd = not_implemented("generations")
diff_cmd = not_implemented("diff")
