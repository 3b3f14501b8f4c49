// Which value of a key is in force at boot: systemd-sysctl reads *.conf from these directories,
// a file in an earlier directory masks one of the same name in a later one, and the surviving files
// are applied in order of file name, so the last assignment wins. procps' `sysctl --system` reads
// /etc/sysctl.conf after them, so a key set there wins too.
import { parseConf } from "./model";

export const SYSCTL_DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"];

export interface ConfFile {
    dir: string;
    name: string;
    content: string;
}

export interface Override {
    key: string;
    /** Path of the file whose assignment is in force at boot instead of ours. */
    file: string;
    value: string;
}

/** Files in the order systemd-sysctl applies them (masked ones dropped), then /etc/sysctl.conf. */
export function bootOrder(files: ConfFile[]): ConfFile[] {
    const byName = new Map<string, ConfFile>();
    for (const dir of SYSCTL_DIRS) {
        for (const f of files.filter((f) => f.dir === dir)) if (!byName.has(f.name)) byName.set(f.name, f);
    }
    const ordered = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const conf = files.find((f) => f.dir === "/etc" && f.name === "sysctl.conf");
    // Debian links /etc/sysctl.d/99-sysctl.conf to ../sysctl.conf; do not count it twice.
    if (conf && !ordered.some((f) => f.content === conf.content && f.name === "99-sysctl.conf")) ordered.push(conf);
    return ordered;
}

/**
 * For each of our keys, the file applied after ours at boot that sets it to another value.
 * `ours` is the name of our drop-in in /etc/sysctl.d.
 */
export function findOverrides(files: ConfFile[], ours: string, entries: Record<string, string>): Override[] {
    const order = bootOrder(files);
    const idx = order.findIndex((f) => f.dir === "/etc/sysctl.d" && f.name === ours);
    const result: Override[] = [];
    for (const [key, value] of Object.entries(entries)) {
        let last: Override | undefined;
        order.forEach((f, i) => {
            if (i <= idx) return; // ours, or applied before ours
            const line = parseConf(f.content).get(key);
            if (line) last = { key, file: `${f.dir}/${f.name}`, value: line.value };
        });
        if (last && last.value !== value) result.push(last);
    }
    return result;
}
