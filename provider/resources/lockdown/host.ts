// The Lockdown resource's two remote operations, each one SSH round trip:
//   observe: the lockdown level and LSM list (read in a private mount namespace when securityfs is
//            not mounted, so reading never changes the host), /proc/cmdline, and every boot
//            configuration this resource may persist through
//   apply:   run the planned steps in order (mount securityfs, raise the level only if it is below,
//            write or remove our files atomically, regenerate the boot configuration), then observe
//            again so the caller verifies what is in force.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { SH_PRELUDE } from "../../host/shell";
import { GRUB_CFG, GRUB_DROPIN, KERNEL_CMDLINE, ObservedLockdown, Step, UNIT_FILE, UNIT_WANTS_LINK } from "./model";

const PATHS = String.raw`
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
SEC=/sys/kernel/security
DROPIN=${GRUB_DROPIN}
GRUBCFG=${GRUB_CFG}
KCMDLINE=${KERNEL_CMDLINE}
UNIT=${UNIT_FILE}
WANTS=${UNIT_WANTS_LINK}
`;

const OBSERVE = String.raw`
secfs_mounted() { awk -v m="$SEC" '$2 == m { t = $3 } END { exit t != "securityfs" }' /proc/self/mounts; }
# Prints lockdown/lsm records; run as is, or inside a private mount namespace.
peek_cmd='for f in lockdown lsm; do
  if [ -r "/sys/kernel/security/$f" ]; then printf "%s\t%s\n" "$f" "$(base64 -w0 < "/sys/kernel/security/$f")"; fi
done'
observe() {
  emit kernel "$(b64str "$(uname -r)")"
  if secfs_mounted; then
    emit secfs mounted
    sh -c "$peek_cmd"
  elif grep -qw securityfs /proc/filesystems; then
    emit secfs unmounted
    perr=$(mktemp) || exit 70
    if out=$(unshare -m /bin/sh -c "mount -t securityfs securityfs $SEC && { $peek_cmd
}" 2>"$perr"); then
      [ -n "$out" ] && printf '%s\n' "$out"
    else
      emit peekfailed "$(b64str "$(cat "$perr")")"
    fi
    rm -f "$perr"
  else
    emit secfs unsupported
  fi
  emit cmdline "$(b64file /proc/cmdline)"
  [ -f /etc/default/grub ] && emit grubdefault
  command -v update-grub >/dev/null 2>&1 && emit updategrub
  command -v grub-mkconfig >/dev/null 2>&1 && emit grubmkconfig
  [ -f "$DROPIN" ] && emit dropin "$(b64file "$DROPIN")"
  [ -f "$GRUBCFG" ] && emit grubcfg "$(grep -E '^[[:space:]]*linux(16|efi)?[[:space:]]' "$GRUBCFG" | base64 -w0)"
  [ -f "$KCMDLINE" ] && emit kcmdline "$(b64file "$KCMDLINE")"
  if command -v kernel-install >/dev/null 2>&1; then
    emit kernelinstall
    kimg=/lib/modules/$(uname -r)/vmlinuz
    [ -f "$kimg" ] || kimg=/boot/vmlinuz-$(uname -r)
    # systemd >= 254 fails a bare inspect when the image is not in /usr/lib/modules (Debian 13), and
    # prints KERNEL_INSTALL_X=v under "Plugin Environment:"; 252 prints "KERNEL_INSTALL_X: v".
    if info=$(kernel-install inspect "$(uname -r)" "$kimg" 2>/dev/null); then
      layout=$(printf '%s\n' "$info" | sed -n 's/^.*KERNEL_INSTALL_LAYOUT[:=] *//p' | head -n 1)
      broot=$(printf '%s\n' "$info" | sed -n 's/^.*KERNEL_INSTALL_BOOT_ROOT[:=] *//p' | head -n 1)
      emit kilayout "$(b64str "$layout")"
      if [ "$layout" = bls ] && [ -n "$broot" ]; then
        for e in "$broot"/loader/entries/*"$(uname -r)"*.conf; do
          [ -f "$e" ] && emit bootentry "$(b64str "$e")" "$(b64str "$(sed -n 's/^options[[:space:]]*//p' "$e")")"
        done
      fi
    fi
  fi
  [ -f "$UNIT" ] && emit unit "$(b64file "$UNIT")"
  [ -L "$WANTS" ] && emit unitlink "$(b64str "$(readlink "$WANTS")")"
  [ -d /run/systemd/system ] && emit systemd
  return 0
}
`;

export const OBSERVE_SCRIPT = SH_PRELUDE + PATHS + OBSERVE + "observe\n";

// Runs the steps in the order given, then observes. A failed step stops the apply with its reason
// (record "failed"); steps already done stay done, and the next apply finds and keeps them.
export const APPLY_SCRIPT =
    SH_PRELUDE +
    PATHS +
    OBSERVE +
    String.raw`
in=$(mktemp) || exit 70
log=$(mktemp) || exit 70
trap 'rm -f "$in" "$log"' EXIT
read_input "$in"
begin_apply "$in" "$log"
fail() { emit failed "$(b64str "$1")"; exit 4; }
target_path() {
  case "$1" in
    dropin) printf '%s' "$DROPIN" ;; unit) printf '%s' "$UNIT" ;; kcmdline) printf '%s' "$KCMDLINE" ;; unitlink) printf '%s' "$WANTS" ;;
    *) return 1 ;;
  esac
}
rank() { case "$1" in none) echo 0 ;; integrity) echo 1 ;; confidentiality) echo 2 ;; *) echo -1 ;; esac; }
current_level() { sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$SEC/lockdown" 2>/dev/null; }
while IFS="$TAB" read -r tag a b c; do
  case "$tag" in
    M) if ! secfs_mounted; then
         mount -t securityfs securityfs "$SEC" 2>"$log" || fail "cannot mount securityfs on $SEC: $(cat "$log")"
         emit done mounted
       fi ;;
    L) want=$(unb64 "$a")
       [ "$(rank "$want")" -gt 0 ] || fail "not a lockdown level: $want"
       [ -r "$SEC/lockdown" ] || fail "$SEC/lockdown does not exist: the kernel has no Lockdown LSM"
       cur=$(current_level)
       # The kernel refuses the current or a lower level (EPERM): write only to raise.
       if [ "$(rank "$cur")" -lt "$(rank "$want")" ]; then
         grep -qw "$want" "$SEC/lockdown" || fail "this kernel does not offer lockdown level $want ($(cat "$SEC/lockdown"))"
         # env printf: the external printf reports the kernel's errno (the shell builtin does not)
         if ! err=$( { env printf '%s\n' "$want" > "$SEC/lockdown"; } 2>&1 ); then
           fail "the kernel refused lockdown level $want: $(printf '%s' "$err" | sed 's/.*: //' | tail -n 1)"
         fi
         emit done "raised $cur"
       fi ;;
    W) p=$(target_path "$a") || fail "unknown target $a"
       remove_stale_temps "$p"
       if [ -f "$p" ] && [ "$(b64file "$p")" = "$b" ]; then continue; fi
       if [ -n "$c" ]; then
         # A file we share with the user: write only over the content the plan was made from.
         if [ "$c" = "-" ]; then [ -e "$p" ] && fail "$p appeared since it was read; run the update again"
         elif [ "$(b64file "$p")" != "$c" ]; then fail "$p changed since it was read; run the update again"; fi
       fi
       mkdir -p "$(dirname "$p")" || fail "cannot create $(dirname "$p")"
       unb64 "$b" | atomic_write "$p" 0644 || fail "cannot write $p"
       emit done "wrote $a" ;;
    R) p=$(target_path "$a") || fail "unknown target $a"
       remove_stale_temps "$p"
       if [ -e "$p" ] || [ -L "$p" ]; then
         rm -f "$p" || fail "cannot remove $p"
         { sync "$(dirname "$p")" 2>/dev/null || sync; }
         emit done "removed $a"
       fi ;;
    E) if [ "$(readlink "$WANTS" 2>/dev/null)" != "$UNIT" ]; then
         mkdir -p "$(dirname "$WANTS")" || fail "cannot create $(dirname "$WANTS")"
         tmp="$(dirname "$WANTS")/.$(basename "$WANTS").kh-link"
         rm -f "$tmp"
         { ln -s "$UNIT" "$tmp" && mv -Tf "$tmp" "$WANTS"; } 2>"$log" || { rm -f "$tmp"; fail "cannot enable $UNIT: $(cat "$log")"; }
         { sync "$(dirname "$WANTS")" 2>/dev/null || sync; }
         emit done enabled
       fi ;;
    D) if [ -d /run/systemd/system ]; then systemctl daemon-reload 2>"$log" || fail "systemctl daemon-reload failed: $(tail -n 3 "$log")"; fi ;;
    G) if command -v update-grub >/dev/null 2>&1; then update-grub >"$log" 2>&1 || fail "update-grub failed: $(tail -n 5 "$log")"
       else grub-mkconfig -o "$GRUBCFG" >"$log" 2>&1 || fail "grub-mkconfig -o $GRUBCFG failed: $(tail -n 5 "$log")"; fi
       sync
       emit done "regenerated $GRUBCFG" ;;
    K) img=/lib/modules/$(uname -r)/vmlinuz
       [ -f "$img" ] || img=/boot/vmlinuz-$(uname -r)
       [ -f "$img" ] || fail "cannot find the running kernel's image to run kernel-install add"
       kernel-install add "$(uname -r)" "$img" >"$log" 2>&1 || fail "kernel-install add $(uname -r) failed: $(tail -n 5 "$log")"
       sync
       emit done "regenerated the boot entry of $(uname -r)" ;;
  esac
done < "$in"
observe
`;

function parseObserved(records: Record_[]): ObservedLockdown {
    const obs: ObservedLockdown = {
        kernelRelease: "",
        securityfs: "unsupported",
        lockdownFile: null,
        lsmFile: null,
        peekError: null,
        cmdline: "",
        grub: { defaultFile: false, updateGrub: false, grubMkconfig: false, dropin: null, linuxLines: null },
        kernelCmdline: { content: null, kernelInstall: false, layout: null, entries: [] },
        unit: { content: null, link: null },
        systemd: false,
        actions: [],
    };
    const v = (r: Record_, i = 1) => unb64(r[i] ?? "");
    for (const r of records) {
        switch (r[0]) {
            case "kernel": obs.kernelRelease = v(r); break;
            case "secfs": obs.securityfs = r[1] as ObservedLockdown["securityfs"]; break;
            case "lockdown": obs.lockdownFile = v(r); break;
            case "lsm": obs.lsmFile = v(r); break;
            case "peekfailed": obs.peekError = v(r).trim() || "unshare failed"; break;
            case "cmdline": obs.cmdline = v(r).trim(); break;
            case "grubdefault": obs.grub.defaultFile = true; break;
            case "updategrub": obs.grub.updateGrub = true; break;
            case "grubmkconfig": obs.grub.grubMkconfig = true; break;
            case "dropin": obs.grub.dropin = v(r); break;
            case "grubcfg": obs.grub.linuxLines = v(r).split("\n").filter((l) => l.trim()); break;
            case "kcmdline": obs.kernelCmdline.content = v(r); break;
            case "kernelinstall": obs.kernelCmdline.kernelInstall = true; break;
            case "kilayout": obs.kernelCmdline.layout = v(r) || null; break;
            case "bootentry": obs.kernelCmdline.entries.push({ path: v(r), options: v(r, 2) }); break;
            case "unit": obs.unit.content = v(r); break;
            case "unitlink": obs.unit.link = v(r); break;
            case "systemd": obs.systemd = true; break;
            case "done": obs.actions.push(r[1]); break;
        }
    }
    return obs;
}

function stepRecord(s: Step): Record_ {
    switch (s.op) {
        case "mount": return ["M"];
        case "raise": return ["L", b64(s.level)];
        case "write": return ["W", s.target, b64(s.content), s.expect === undefined ? "" : s.expect === null ? "-" : b64(s.expect)];
        case "remove": return ["R", s.target];
        case "enable": return ["E"];
        case "daemon-reload": return ["D"];
        case "update-grub": return ["G"];
        case "kernel-install": return ["K"];
    }
}

function failure(c: Connection, what: string, res: { code: number; stderr: string }): HostError {
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

export async function observeLockdown(c: Connection): Promise<ObservedLockdown> {
    const res = await runScript(c, OBSERVE_SCRIPT, "", "lockdown.observe");
    if (res.code !== 0) throw failure(c, "reading the lockdown state", res);
    return parseObserved(parseRecords(res.stdout));
}

export async function applyLockdown(c: Connection, steps: Step[]): Promise<ObservedLockdown> {
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(steps.map(stepRecord)), "lockdown.apply");
    const out = parseRecords(res.stdout);
    const failed = out.find((r) => r[0] === "failed");
    if (failed) {
        const done = out.filter((r) => r[0] === "done").map((r) => r[1]);
        throw new HostError(`${endpoint(c)}: ${unb64(failed[1] ?? "")}${done.length ? ` (already done: ${done.join(", ")})` : ""}`);
    }
    if (res.code !== 0) throw failure(c, "applying the lockdown state", res);
    return parseObserved(out);
}
