// Pure parsers for what apt and dpkg print (run under LC_ALL=C by our scripts). No I/O here.

export interface DpkgPackage {
    name: string;
    /** Empty for a package dpkg knows only by name. */
    version: string | null;
    /** db:Status-Abbrev without padding, e.g. "ii", "hi", "rc", "un". */
    status: string;
    installed: boolean;
    /** Package names in Depends, alternatives included, without versions or arch qualifiers. */
    depends: string[];
}

/** Lines of `dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\t${Depends}\n'`. */
export function parseDpkgQuery(text: string): Record<string, DpkgPackage> {
    const out: Record<string, DpkgPackage> = {};
    for (const line of text.split("\n")) {
        const [name, version, status, depends] = line.split("\t");
        if (!name || status === undefined) continue;
        const st = status.trim();
        out[name] = {
            name,
            version: version ? version : null,
            status: st,
            // Second letter: the package's state; "i" is installed (first letter "h" means on hold).
            installed: st[1] === "i",
            depends: parseDepends(depends ?? ""),
        };
    }
    return out;
}

/** "a (>= 1), b:any | c" -> ["a", "b", "c"]. */
export function parseDepends(field: string): string[] {
    const names: string[] = [];
    for (const group of field.split(",")) {
        for (const alt of group.split("|")) {
            const name = alt.trim().replace(/\s*\(.*$/, "").replace(/\s*\[.*$/, "").replace(/:[a-z0-9-]+$/, "").trim();
            if (name && !names.includes(name)) names.push(name);
        }
    }
    return names;
}

export interface PolicyVersion {
    version: string;
    /** The pin priority apt gives this version. */
    priority: number;
    installed: boolean;
    /** "500 file:/srv/repo ./ Packages", "100 /var/lib/dpkg/status". */
    sources: string[];
}

export interface PolicyEntry {
    installed: string | null;
    candidate: string | null;
    versions: PolicyVersion[];
}

/** `apt-cache policy PKG...` per package. Packages apt does not know are absent. */
export function parsePolicy(text: string): Record<string, PolicyEntry> {
    const out: Record<string, PolicyEntry> = {};
    let cur: PolicyEntry | undefined;
    let ver: PolicyVersion | undefined;
    for (const line of text.split("\n")) {
        const head = /^(\S+):$/.exec(line);
        if (head) {
            cur = { installed: null, candidate: null, versions: [] };
            out[head[1]] = cur;
            ver = undefined;
            continue;
        }
        if (!cur) continue;
        const field = /^ {2}(Installed|Candidate): (.*)$/.exec(line);
        if (field) {
            const v = field[2].trim() === "(none)" ? null : field[2].trim();
            if (field[1] === "Installed") cur.installed = v;
            else cur.candidate = v;
            continue;
        }
        // " *** 6.1.176-1 1001" (installed) or "     6.1.176-1+kh1 500"
        const version = /^ (\*\*\*| {3}) (\S+) (-?\d+)$/.exec(line);
        if (version) {
            ver = { version: version[2], priority: Number(version[3]), installed: version[1] === "***", sources: [] };
            cur.versions.push(ver);
            continue;
        }
        const source = /^ {8}(-?\d+ .+)$/.exec(line);
        if (source && ver) ver.sources.push(source[1].trim());
    }
    return out;
}

/** `apt-mark showhold`: one package per line. */
export function parseShowhold(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .sort();
}

/**
 * `dpkg-query -S '/boot/vmlinuz-*'`: kernel release -> owning packages
 * ("a, b: /boot/vmlinuz-6.1.0-50-cloud-amd64").
 */
export function parseImageOwners(text: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const line of text.split("\n")) {
        if (line.startsWith("diversion by")) continue;
        const i = line.lastIndexOf(": /boot/vmlinuz-");
        if (i <= 0) continue;
        const release = line.slice(i + ": /boot/vmlinuz-".length).trim();
        if (!release || release.includes("/")) continue;
        const pkgs = line
            .slice(0, i)
            .split(",")
            .map((p) => p.trim().replace(/:[a-z0-9-]+$/, ""))
            .filter(Boolean);
        out[release] = [...new Set([...(out[release] ?? []), ...pkgs])];
    }
    return out;
}

/** Debian kernels name their package version in `uname -v` ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)"). */
export function debianBuildOf(unameV: string): string | null {
    return /\bDebian (\S+)/.exec(unameV)?.[1] ?? null;
}
