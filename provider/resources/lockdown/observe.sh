# shellcheck shell=sh
observe
