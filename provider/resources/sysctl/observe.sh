# shellcheck shell=sh
# Sysctl observe (after the prelude and lib.sh): one read, no lock, nothing written.
observe "$in"
