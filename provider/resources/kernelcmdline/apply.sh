# shellcheck shell=sh
# Runs the planned steps in order, then observes (the caller verifies from that). A failed step
# stops the apply with its reason; steps already done stay done and the next apply keeps them.
in=$(mktemp) || exit 70
read_input "$in"
begin_apply "$in"
while IFS="$TAB" read -r tag a b; do
  boot_step "$tag" "$a" "$b" || kcl_step "$tag" || boot_fail "unknown step $tag"
done < "$in"
kcl_observe
