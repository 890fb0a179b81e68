"""A power cut in the middle of an update, as guest shell (tests/vm/test_root_layout.py: one
power cut in the suite, on the layout with the most state to keep)."""

# `cut_power_while_writing RECORD TRIES`: wait up to TRIES × 0.2 s for systemd-sysupdate's
# writer (systemd-import) to start, let it write for 4 s, record in RECORD whether it still
# wrote (`writing_when_cut yes`), then reset the machine without syncing (sysrq b). The
# script defines `p` (a "key<TAB>value" line) before embedding this.
CUT_POWER_WHILE_WRITING = r"""
cut_power_while_writing() {
  importing() { grep -qsx systemd-import /proc/[0-9]*/comm; }  # no pgrep in the image
  for i in $(seq "$2"); do importing && break; sleep 0.2; done
  sleep 4
  p writing_when_cut "$(importing && echo yes || echo no)" > "$1"
  sync "$1"
  echo b > /proc/sysrq-trigger
  sleep 600
  exit 1
}
"""
