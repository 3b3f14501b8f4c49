// The Sysctl resource's two remote operations, each one SSH round trip:
//   observe: the drop-in file, each managed key's live value, and every sysctl.d file (for precedence)
//   apply:   set live values (rolled back if the kernel refuses one), then write or remove the file
//            atomically, then observe again so the caller verifies what is in force.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { SH_PRELUDE } from "../../host/shell";
import { ConfFile } from "./precedence";
import { DROPIN_DIR, procPath } from "./model";

export interface ObservedSysctl {
    /** Content of our drop-in, or null when the file does not exist. */
    file: string | null;
    /** Live value per key (raw, as the kernel prints it); null when the key cannot be read. */
    live: Record<string, string | null>;
    /** Why a key could not be read. */
    liveErrors: Record<string, string>;
    confFiles: ConfFile[];
    /** After an apply: the live value each key had before the apply changed it. */
    before: Record<string, string>;
    /** Values recorded on the host before this resource first changed each key. */
    prev: Record<string, string>;
    /** After an apply: whether the file was written or removed. */
    fileChanged: boolean;
}

export interface SetStep {
    key: string;
    /** Ensured live: written only when the live value differs. */
    value: string;
}

export interface ApplyPlan {
    file: string;
    /** File content to ensure (written only when it differs), "delete" to remove it, or undefined to leave it alone. */
    content?: string | "delete";
    sets: SetStep[];
    /** Keys to report on afterwards. */
    keys: string[];
}

export class KernelRejected extends Error {
    constructor(readonly key: string, readonly value: string, readonly reason: string, where: string) {
        super(`${where}: the kernel rejected ${key} = ${JSON.stringify(value)}: ${reason}; nothing was persisted and keys already set were restored`);
    }
}

const OBSERVE = String.raw`
observe() {
  while IFS="$TAB" read -r tag a b; do
    case "$tag" in
      F) if [ -f "/etc/sysctl.d/$a" ]; then emit file "$(b64file "/etc/sysctl.d/$a")"; else emit nofile; fi
         if [ -f "/var/lib/kernelhardening/sysctl/$a.previous" ]; then
           while IFS="$TAB" read -r pk pv; do [ -n "$pv" ] && emit prev "$pk" "$pv"; done < "/var/lib/kernelhardening/sysctl/$a.previous"
         fi ;;
      K) if v=$(cat "/proc/sys/$b" 2>&1); then emit live "$a" "$(b64str "$v")"; else emit nolive "$a" "$(b64str "$v")"; fi ;;
    esac
  done < "$1"
  for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
    for f in "$d"/*.conf; do [ -f "$f" ] && emit conf "$d" "$(basename "$f")" "$(b64file "$f")"; done
  done
  [ -f /etc/sysctl.conf ] && emit conf /etc sysctl.conf "$(b64file /etc/sysctl.conf)"
  return 0
}
in=$(mktemp) || exit 70
trap 'rm -f "$in"' EXIT
read_input "$in"
`;

export const OBSERVE_SCRIPT = SH_PRELUDE + OBSERVE + "observe \"$in\"\n";

// One round trip applies and reports: for each S record the script compares the live value with
// the wanted one (whitespace folded, as normaliseValue does) and writes only when they differ,
// recording the value it replaced; W writes the file only when its content differs. A value the
// kernel refuses or does not keep rolls back every key set so far and nothing is persisted.
export const APPLY_SCRIPT =
    SH_PRELUDE +
    OBSERVE +
    String.raw`
fold() { ( set -f; set -- $1; IFS=' '; printf '%s' "$*" ); }
begin_apply "$in"
done_list=$(mktemp) || exit 70
cleanup_later "$done_list"
# Values from before this resource first changed a key live on the host, so they survive an apply
# whose result never reached Pulumi's state (a cut connection) and delete can still restore them.
file=$(grep "^F$TAB" "$in" | head -n1 | cut -f2)
prevdir=/var/lib/kernelhardening/sysctl
prev="$prevdir/$file.previous"
rollback() {
  while IFS="$TAB" read -r rpath rold; do
    unb64 "$rold" > "/proc/sys/$rpath" 2>/dev/null
  done < "$done_list"
}
while IFS="$TAB" read -r tag key path new; do
  [ "$tag" = S ] || continue
  val=$(unb64 "$new")
  if ! cur=$(cat "/proc/sys/$path" 2>&1); then emit rejected "$key" "$(b64str "$cur")"; rollback; exit 3; fi
  [ "$(fold "$cur")" = "$(fold "$val")" ] && continue
  # env printf: the external printf reports the kernel's errno (the shell builtin says "I/O error")
  if ! err=$( { env printf '%s\n' "$val" > "/proc/sys/$path"; } 2>&1 ); then
    rollback; emit rejected "$key" "$(b64str "$err")"; exit 3
  fi
  printf '%s\t%s\n' "$path" "$(b64str "$cur")" >> "$done_list"
  emit before "$key" "$(b64str "$cur")"
  if ! awk -F"$TAB" -v k="$key" '$1 == k { found = 1 } END { exit !found }' "$prev" 2>/dev/null; then
    mkdir -p "$prevdir" && printf '%s\t%s\n' "$key" "$(b64str "$cur")" >> "$prev" && sync "$prev"
  fi
  got=$(cat "/proc/sys/$path" 2>&1)
  if [ "$(fold "$got")" != "$(fold "$val")" ]; then
    rollback; emit rejected "$key" "$(b64str "the kernel kept the value $(fold "$got")")"; exit 3
  fi
done < "$in"
while IFS="$TAB" read -r tag a b; do
  case "$tag" in
    W) remove_stale_temps "/etc/sysctl.d/$a"
       if [ -f "/etc/sysctl.d/$a" ] && [ "$(b64file "/etc/sysctl.d/$a")" = "$b" ]; then continue; fi
       if ! unb64 "$b" | atomic_write "/etc/sysctl.d/$a" 0644; then emit failed "$(b64str "cannot write /etc/sysctl.d/$a")"; exit 4; fi
       emit wrote "$a" ;;
    R) remove_stale_temps "/etc/sysctl.d/$a"
       if [ -e "/etc/sysctl.d/$a" ]; then rm -f "/etc/sysctl.d/$a" && { sync /etc/sysctl.d 2>/dev/null || sync; }; emit removed "$a"; fi
       rm -f "$prev" ;;
  esac
done < "$in"
observe "$in"
`;

function parseObserved(records: Record_[]): ObservedSysctl {
    const obs: ObservedSysctl = { file: null, live: {}, liveErrors: {}, confFiles: [], before: {}, prev: {}, fileChanged: false };
    for (const r of records) {
        switch (r[0]) {
            case "file":
                obs.file = unb64(r[1] ?? "");
                break;
            case "live":
                obs.live[r[1]] = unb64(r[2] ?? "");
                break;
            case "nolive":
                obs.live[r[1]] = null;
                obs.liveErrors[r[1]] = cleanShellError(unb64(r[2] ?? ""));
                break;
            case "prev":
                obs.prev[r[1]] = unb64(r[2] ?? "");
                break;
            case "before":
                obs.before[r[1]] = unb64(r[2] ?? "");
                break;
            case "wrote":
            case "removed":
                obs.fileChanged = true;
                break;
            case "conf":
                obs.confFiles.push({ dir: r[1], name: r[2], content: unb64(r[3] ?? "") });
                break;
        }
    }
    return obs;
}

/** "/bin/sh: 1: cannot create /proc/sys/x: Directory nonexistent" -> the reason a user can act on. */
export function cleanShellError(msg: string): string {
    const m = msg.trim();
    if (/Directory nonexistent|No such file or directory/i.test(m)) return "no such key on this kernel";
    if (/Permission denied/i.test(m)) return "the key is read-only";
    const last = m.split("\n").pop() ?? m;
    // "sh: 1: printf: write error: Invalid argument" -> the errno text after the last colon
    return last.split(": ").pop()?.trim() || m;
}

function observeRecords(file: string, keys: string[]): Record_[] {
    return [["F", file], ...keys.map((k) => ["K", k, procPath(k)])];
}

function failure(c: Connection, what: string, res: { code: number; stderr: string }): HostError {
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

export async function observeSysctl(c: Connection, file: string, keys: string[]): Promise<ObservedSysctl> {
    const res = await runScript(c, OBSERVE_SCRIPT, encodeRecords(observeRecords(file, keys)), "sysctl.observe");
    if (res.code !== 0) throw failure(c, `reading ${DROPIN_DIR}/${file}`, res);
    return parseObserved(parseRecords(res.stdout));
}

export async function applySysctl(c: Connection, plan: ApplyPlan): Promise<ObservedSysctl> {
    const records: Record_[] = [];
    for (const s of plan.sets) records.push(["S", s.key, procPath(s.key), b64(s.value)]);
    if (plan.content === "delete") records.push(["R", plan.file]);
    else if (plan.content !== undefined) records.push(["W", plan.file, b64(plan.content)]);
    records.push(...observeRecords(plan.file, plan.keys));
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(records), "sysctl.apply");
    const out = parseRecords(res.stdout);
    const rejected = out.find((r) => r[0] === "rejected");
    if (rejected) {
        const step = plan.sets.find((s) => s.key === rejected[1]);
        throw new KernelRejected(rejected[1], step?.value ?? "", cleanShellError(unb64(rejected[2] ?? "")), endpoint(c));
    }
    const failed = out.find((r) => r[0] === "failed");
    if (failed) throw new HostError(`${endpoint(c)}: ${unb64(failed[1] ?? "")}`);
    if (res.code !== 0) throw failure(c, `applying ${DROPIN_DIR}/${plan.file}`, res);
    return parseObserved(out);
}
