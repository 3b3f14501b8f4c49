// The audit on Debian's real kernel configs, downloaded by the test run (never committed) from the
// system's apt sources and cached in ~/.cache/kernel-hardening/debian-configs, against the table of
// expected verdicts in test/fixtures/audit/debian-expected.json. That table was compared with
// kernel-hardening-checker's verdicts check by check (docs/audit-crosscheck.md).
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "fs";
import { homedir } from "os";
import { join } from "path";
import { audit } from "../../provider/audit/audit";
import { factsFromFiles } from "../../provider/audit/read";

const CACHE = join(process.env.KH_CACHE ?? join(homedir(), ".cache/kernel-hardening"), "debian-configs");
const EXPECTED: Record<string, Record<string, string>> = JSON.parse(
    readFileSync(join(__dirname, "../fixtures/audit/debian-expected.json"), "utf8"),
);

/** The flavours' configs of one linux-config package, downloaded once. */
function configs(pkg: string): Map<string, string> {
    const dir = join(CACHE, pkg);
    if (!existsSync(join(dir, "usr"))) {
        mkdirSync(dir, { recursive: true });
        execFileSync("apt-get", ["download", pkg], { cwd: dir, stdio: "ignore", timeout: 120_000 });
        const deb = readdirSync(dir).find((f) => f.endsWith(".deb"));
        if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
        execFileSync("dpkg-deb", ["-x", join(dir, deb), dir]);
    }
    const src = join(dir, "usr/src", pkg);
    const out = new Map<string, string>();
    for (const f of readdirSync(src).filter((x) => x.endsWith(".xz"))) {
        out.set(f.replace(/\.xz$/, ""), execFileSync("xz", ["-dc", join(src, f)], { maxBuffer: 64 << 20 }).toString("utf8"));
    }
    return out;
}

describe("Debian's linux-config-6.1 (bookworm), every amd64 flavour", () => {
    const all = configs("linux-config-6.1");

    it("has every flavour the expected table lists", () => {
        expect([...all.keys()].sort()).toEqual(Object.keys(EXPECTED).filter((k) => k.includes("amd64")).sort());
    });

    it.each(Object.keys(EXPECTED).filter((k) => k.includes("amd64")))("%s gets the expected verdicts", (name) => {
        const f = factsFromFiles({ config: all.get(name)!, cmdline: "ro", source: name });
        f.arch = "x86_64";
        const got = Object.fromEntries(audit(f).filter((x) => x.category !== "sysctl" && x.category !== "runtime")
            .map((x) => [x.id, x.status]));
        expect(got).toEqual(EXPECTED[name]);
    });
});
