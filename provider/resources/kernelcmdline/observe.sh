# shellcheck shell=sh
kcl_observe
