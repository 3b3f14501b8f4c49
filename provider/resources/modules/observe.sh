# shellcheck shell=sh
# ModuleBlocklist observe (after the prelude and lib.sh): one read, no lock, nothing written.
observe "$name"
