// The KernelPackagePin resource's two remote operations, each one SSH round trip:
//   observe: uname, our preferences file, dpkg's view of the named and of every linux-image-*
//            package, `apt-cache policy` for them, `apt-mark showhold`, the holds we set (HELD_BY_US)
//            and who owns /boot/vmlinuz-*
//   apply:   write or remove the preferences file atomically, hold or un-hold packages (each only
//            where it differs), then observe again so the caller verifies what apt now does.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { SH_PRELUDE } from "../../host/shell";
import { DpkgPackage, parseDpkgQuery, parseImageOwners, parsePolicy, parseShowhold, PolicyEntry } from "./apt";
import { PIN_DIR, PIN_FILE } from "./model";

/**
 * The packages this resource put on hold, kept on the host: an apply whose result never reached
 * Pulumi's state (a cut connection) must not make its own holds look like holds set by hand.
 */
export const HELD_BY_US = "/var/lib/kernelhardening/kernelpin/held-by-us";

export interface ObservedPin {
    /** Set when the host lacks apt/dpkg: the package manager found instead, or "none". */
    otherPackageManager: string | null;
    /** `uname -r` and `uname -v`. */
    runningKernel: string;
    unameVersion: string;
    /** Content of our preferences file, or null when it does not exist. */
    pinFile: string | null;
    packages: Record<string, DpkgPackage>;
    policy: Record<string, PolicyEntry>;
    /** What apt printed on stderr when `apt-cache policy` failed (a broken preferences file, say). */
    aptError: string | null;
    holds: string[];
    /** Packages this resource put on hold, as recorded on the host (HELD_BY_US). */
    ours: string[];
    /** Kernel release -> packages owning /boot/vmlinuz-<release>. */
    images: Record<string, string[]>;
    /** After an apply: "wrote", "removed", "held <pkg>", "unheld <pkg>". */
    changes: string[];
}

export interface ApplyPlan {
    /** File content to ensure (written only when it differs), "delete" to remove it, or undefined to leave it. */
    content?: string | "delete";
    /** Packages to put on hold where they are not. */
    hold: string[];
    /** Packages to take off hold where they are on it. */
    unhold: string[];
    /** Packages to report on afterwards. */
    observe: string[];
}

// LC_ALL=C: the parsers read apt's English field names ("Installed:", "Candidate:").
const CONSTANTS = `PIN_FILE='${PIN_FILE}'\nPIN_DIR='${PIN_DIR}'\nHELD_BY_US='${HELD_BY_US}'\n`;

const OBSERVE = CONSTANTS + String.raw`
export LC_ALL=C LANGUAGE=
NL='
'
# D is a literal dollar sign: "$D{Package}" reaches dpkg-query as its field reference for Package
D='$'
have() { command -v "$1" >/dev/null 2>&1; }
apt_ok() { have dpkg-query && have apt-cache && have apt-mark; }
other_pm() { for c in dnf yum zypper pacman apk emerge xbps-install rpm; do if have "$c"; then echo "$c"; return 0; fi; done; echo none; }
observe() {
  if ! apt_ok; then emit nopm "$(other_pm)"; return 0; fi
  # The named packages and every installed linux-image-* (names from dpkg, never word-globbed)
  set -f; set --
  while IFS="$TAB" read -r tag a; do [ "$tag" = P ] && set -- "$@" "$a"; done < "$in"
  for k in $(dpkg-query -W -f="$D{db:Status-Abbrev}$D{Package}\n" 'linux-image-*' 2>/dev/null | sed -n 's/^.i.//p'); do set -- "$@" "$k"; done
  set +f
  emit uname "$(b64str "$(uname -r)")" "$(b64str "$(uname -v)")"
  if [ -f "$PIN_FILE" ]; then emit pinfile "$(b64file "$PIN_FILE")"; else emit nopinfile; fi
  # dpkg-query exits 1 when one name matches nothing; the others are still listed.
  emit dpkg "$(b64str "$(dpkg-query -W -f="$D{Package}\t$D{Version}\t$D{db:Status-Abbrev}\t$D{Depends}\n" -- 'linux-image-*' "$@" 2>/dev/null)")"
  if [ $# -gt 0 ]; then
    if pol=$(apt-cache policy -- "$@" 2>"$err"); then emit policy "$(b64str "$pol")"; else emit policy "$(b64str "$pol")" "$(b64file "$err")"; fi
  fi
  if ! h=$(apt-mark showhold 2>"$err"); then emit failed "$(b64str "apt-mark showhold: $(cat "$err")")"; return 1; fi
  emit holds "$(b64str "$h")"
  if [ -f "$HELD_BY_US" ]; then emit ours "$(b64file "$HELD_BY_US")"; fi
  emit images "$(b64str "$(dpkg-query -S '/boot/vmlinuz-*' 2>/dev/null)")"
  return 0
}
in=$(mktemp) || exit 70
err=$(mktemp) || exit 70
trap 'rm -f "$in" "$err"' EXIT
read_input "$in"
`;

export const OBSERVE_SCRIPT = SH_PRELUDE + OBSERVE + "observe || exit 4\n";

// W writes the file only when its content differs; H/U call apt-mark only for packages whose hold
// differs, once for all of them, so a converged host sees no writes at all.
export const APPLY_SCRIPT =
    SH_PRELUDE +
    OBSERVE +
    String.raw`
begin_apply "$in" "$err"
names=$(mktemp) || exit 70
cleanup_later "$names"
if ! apt_ok; then emit nopm "$(other_pm)"; exit 0; fi
remove_stale_temps "$PIN_FILE"
remove_stale_temps "$HELD_BY_US"
while IFS="$TAB" read -r tag a; do
  case "$tag" in
    W) if [ -f "$PIN_FILE" ] && [ "$(b64file "$PIN_FILE")" = "$a" ]; then continue; fi
       if ! unb64 "$a" | atomic_write "$PIN_FILE" 0644; then emit failed "$(b64str "cannot write $PIN_FILE")"; exit 4; fi
       emit wrote ;;
    R) if [ -e "$PIN_FILE" ]; then rm -f "$PIN_FILE" && { sync "$PIN_DIR" 2>/dev/null || sync; }; emit removed; fi ;;
  esac
done < "$in"
if ! holds=$(apt-mark showhold 2>"$err"); then emit failed "$(b64str "apt-mark showhold: $(cat "$err")")"; exit 4; fi
is_held() { printf '%s\n' "$holds" | grep -qxF -- "$1"; }
to_hold=; to_unhold=
while IFS="$TAB" read -r tag a; do
  case "$tag" in
    H) is_held "$a" || to_hold="$to_hold$a$NL" ;;
    U) is_held "$a" && to_unhold="$to_unhold$a$NL" ;;
  esac
done < "$in"
# record hold|unhold NAME...: adds the names to HELD_BY_US, or takes them out (the file goes with the last)
record() {
  act=$1; shift
  printf '%s\n' "$@" > "$names"
  if [ "$act" = hold ]; then
    mkdir -p "$(dirname "$HELD_BY_US")" || return 1
    { cat "$HELD_BY_US" 2>/dev/null; cat "$names"; } | sort -u | atomic_write "$HELD_BY_US" 0644
  elif [ -f "$HELD_BY_US" ]; then
    left=$(grep -vxF -f "$names" "$HELD_BY_US")
    if [ -n "$left" ]; then printf '%s\n' "$left" | atomic_write "$HELD_BY_US" 0644; return; fi
    rm -f "$HELD_BY_US" && rmdir "$(dirname "$HELD_BY_US")" 2>/dev/null
    return 0
  fi
}
mark() { # mark hold|unhold NEWLINE-SEPARATED-NAMES
  [ -n "$2" ] || return 0
  act=$1
  set -f; o_ifs=$IFS; IFS=$NL; set -- $2; IFS=$o_ifs; set +f
  if ! out=$(apt-mark "$act" -- "$@" 2>&1); then emit failed "$(b64str "apt-mark $act: $out")"; exit 4; fi
  for p in "$@"; do emit "$act" "$p"; done
  if ! record "$act" "$@"; then emit failed "$(b64str "cannot record the holds in $HELD_BY_US")"; exit 4; fi
}
mark unhold "$to_unhold"
mark hold "$to_hold"
observe || exit 4
`;

export function parseObserved(records: Record_[]): ObservedPin {
    const obs: ObservedPin = {
        otherPackageManager: null,
        runningKernel: "",
        unameVersion: "",
        pinFile: null,
        packages: {},
        policy: {},
        aptError: null,
        holds: [],
        ours: [],
        images: {},
        changes: [],
    };
    for (const r of records) {
        switch (r[0]) {
            case "nopm":
                obs.otherPackageManager = r[1] || "none";
                break;
            case "uname":
                obs.runningKernel = unb64(r[1] ?? "").trim();
                obs.unameVersion = unb64(r[2] ?? "").trim();
                break;
            case "pinfile":
                obs.pinFile = unb64(r[1] ?? "");
                break;
            case "dpkg":
                obs.packages = { ...obs.packages, ...parseDpkgQuery(unb64(r[1] ?? "")) };
                break;
            case "policy":
                obs.policy = parsePolicy(unb64(r[1] ?? ""));
                obs.aptError = r[2] !== undefined ? unb64(r[2]).trim() || "apt-cache policy failed" : null;
                break;
            case "holds":
                obs.holds = parseShowhold(unb64(r[1] ?? ""));
                break;
            case "ours":
                obs.ours = parseShowhold(unb64(r[1] ?? ""));
                break;
            case "images":
                obs.images = parseImageOwners(unb64(r[1] ?? ""));
                break;
            case "wrote":
            case "removed":
                obs.changes.push(r[0]);
                break;
            case "hold":
            case "unhold":
                obs.changes.push(`${r[0] === "hold" ? "held" : "unheld"} ${r[1]}`);
                break;
        }
    }
    return obs;
}

/** Why a host without apt cannot have this resource. */
export class UnsupportedPackageManager extends HostError {
    constructor(where: string, found: string) {
        super(
            `${where}: unsupported package manager: ${found === "none" ? "no apt/dpkg found" : `this host uses ${found}, not apt`}; KernelPackagePin pins kernels with apt preferences and apt-mark hold (Debian, Ubuntu and their derivatives)`,
        );
    }
}

function failure(c: Connection, what: string, res: { code: number; stderr: string }, out: Record_[]): HostError {
    const failed = out.find((r) => r[0] === "failed");
    if (failed) return new HostError(`${endpoint(c)}: ${what} failed: ${unb64(failed[1] ?? "").trim()}`);
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

function observeRecords(names: string[]): Record_[] {
    return names.map((n) => ["P", n]);
}

export async function observePin(c: Connection, names: string[]): Promise<ObservedPin> {
    const res = await runScript(c, OBSERVE_SCRIPT, encodeRecords(observeRecords(names)), "kernelpin.observe");
    const out = parseRecords(res.stdout);
    if (res.code !== 0) throw failure(c, "reading the kernel packages' apt state", res, out);
    return parseObserved(out);
}

export async function applyPin(c: Connection, plan: ApplyPlan): Promise<ObservedPin> {
    const records: Record_[] = [];
    if (plan.content === "delete") records.push(["R"]);
    else if (plan.content !== undefined) records.push(["W", b64(plan.content)]);
    for (const p of plan.hold) records.push(["H", p]);
    for (const p of plan.unhold) records.push(["U", p]);
    records.push(...observeRecords(plan.observe));
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(records), "kernelpin.apply");
    const out = parseRecords(res.stdout);
    if (res.code !== 0) throw failure(c, `applying ${PIN_FILE} and apt-mark holds`, res, out);
    return parseObserved(out);
}
