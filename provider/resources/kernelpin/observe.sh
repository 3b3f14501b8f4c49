# shellcheck shell=sh
# KernelPackagePin observe (after the prelude and lib.sh): one read, no lock, nothing written.
observe || exit 4
