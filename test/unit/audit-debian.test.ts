// The audit on Debian's real kernel configs, downloaded by the test run (never committed) and cached
// in ~/.cache/kernel-hardening/debian-configs: linux-config-6.1 (bookworm) amd64 from the system's own
// apt sources, and its arm64 build and trixie's linux-config-6.12 (amd64, arm64) through a private apt
// configuration against the same Debian mirror. Every flavour is checked against the table of expected
// verdicts in test/fixtures/audit/debian-expected.json, which was compared with kernel-hardening-checker
// check by check (docs/audit-crosscheck.md).
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { homedir } from "os";
import { join } from "path";
import { audit } from "../../provider/audit/audit";
import { factsFromFiles } from "../../provider/audit/read";

const CACHE = join(process.env.KH_CACHE ?? join(homedir(), ".cache/kernel-hardening"), "debian-configs");
const EXPECTED: Record<string, Record<string, string>> = JSON.parse(
    readFileSync(join(__dirname, "../fixtures/audit/debian-expected.json"), "utf8"),
);
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** The Debian mirror the system's apt uses (deb822 or one-line sources). */
function systemMirror(): string {
    const files = ["/etc/apt/sources.list", ...readdirSync("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f))];
    for (const f of files.filter((x) => /\.(list|sources)$/.test(x) && existsSync(x))) {
        const text = readFileSync(f, "utf8");
        const m = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(text);
        if (m) return m[1];
    }
    throw new Error("no Debian mirror found in the system's apt sources");
}

/** apt options for a private configuration (its own sources, lists and cache; both architectures). */
function privateApt(): string[] {
    const dir = join(CACHE, "apt");
    const opts = [
        `Dir::State=${dir}`, `Dir::State::lists=${dir}/lists`, "Dir::State::status=/dev/null", `Dir::Cache=${dir}/cache`,
        `Dir::Etc::sourcelist=${dir}/sources.list`, "Dir::Etc::sourceparts=-", "APT::Architectures::=amd64",
        "APT::Architectures::=arm64", "Acquire::Languages=none",
    ].flatMap((o) => ["-o", o]);
    if (!existsSync(join(dir, "lists/updated"))) {
        for (const d of ["lists/partial", "cache/archives/partial"]) mkdirSync(join(dir, d), { recursive: true });
        const mirror = systemMirror();
        writeFileSync(join(dir, "sources.list"), ["trixie", "bookworm"].map((s) => `deb [signed-by=${KEYRING}] ${mirror} ${s} main\n`).join(""));
        execFileSync("apt-get", [...opts, "update"], { stdio: "ignore", timeout: 600_000 });
        writeFileSync(join(dir, "lists/updated"), "");
    }
    return opts;
}

/** The flavours' configs of one linux-config package ("name:arch"), downloaded once. */
function configs(spec: string, viaPrivate: boolean): Map<string, string> {
    const [pkg, arch] = spec.split(":");
    const dir = join(CACHE, `${pkg}_${arch}`);
    if (!existsSync(join(dir, "usr"))) {
        mkdirSync(dir, { recursive: true });
        execFileSync("apt-get", [...(viaPrivate ? privateApt() : []), "download", spec], { cwd: dir, stdio: "ignore", timeout: 300_000 });
        const deb = readdirSync(dir).find((f) => f.endsWith(".deb"));
        if (!deb) throw new Error(`apt-get download ${spec} left no .deb in ${dir}`);
        execFileSync("dpkg-deb", ["-x", join(dir, deb), dir]);
    }
    const src = join(dir, "usr/src", pkg);
    const out = new Map<string, string>();
    for (const f of readdirSync(src).filter((x) => x.endsWith(".xz"))) {
        out.set(`${pkg}/${f.replace(/\.xz$/, "")}`, execFileSync("xz", ["-dc", join(src, f)], { maxBuffer: 64 << 20 }).toString("utf8"));
    }
    return out;
}

describe("Debian's kernel configs: linux-config-6.1 and 6.12, every amd64 and arm64 flavour", () => {
    let all: Map<string, string>;
    beforeAll(() => {
        all = new Map([
            ...configs("linux-config-6.1:amd64", false),
            ...configs("linux-config-6.1:arm64", true),
            ...configs("linux-config-6.12:amd64", true),
            ...configs("linux-config-6.12:arm64", true),
        ]);
    }, 900_000);

    it("has every flavour the expected table lists, and no other", () => {
        expect([...all.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
        expect(all.size).toBe(13);
    });

    it.each(Object.keys(EXPECTED))("%s gets the expected verdicts", (name) => {
        const f = factsFromFiles({ config: all.get(name)!, cmdline: "ro", source: name });
        const got = Object.fromEntries(audit(f).filter((x) => x.category !== "sysctl" && x.category !== "runtime")
            .map((x) => [x.id, x.status]));
        expect(got).toEqual(EXPECTED[name]);
    });
});
