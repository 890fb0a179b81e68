"""Login prompts on the consoles, optionally logged in automatically.

Auto-login changes the `getty@` and `serial-getty@` templates through drop-ins, so it
applies to every virtual and serial console. Handy for VMs and kiosks; anyone at the console
gets a shell.
"""

from pydeclos import option
from pydeclos import types as t

options = {"services": {"getty": {
    "autologin_user": option(t.user_name | None, default=None, description=(
        "User logged in automatically on every console (no password asked); None asks for a "
        "login as usual."), example="alice"),
}}}


def drop_in(user: str, serial: bool) -> str:
    baud = " --keep-baud 115200,57600,38400,9600" if serial else ""
    return ("[Service]\n"
            "ExecStart=\n"
            f"ExecStart=-/sbin/agetty --autologin {user} --noclear{baud} %I $TERM\n")


def config(cfg):
    user = cfg.services.getty.autologin_user
    if user is None:
        return {}
    if user != "root" and user not in cfg.users.users:
        return {"assertions": [{"assertion": False, "options": ["services.getty.autologin_user"],
                                "message": (
            f"services.getty.autologin_user = {user!r}: no such user; declare "
            f"users.users.{user} or use `root`")}]}
    return {"systemd": {"drop_ins": {
        "getty@.service": {"autologin": drop_in(user, serial=False)},
        "serial-getty@.service": {"autologin": drop_in(user, serial=True)},
    }}}
