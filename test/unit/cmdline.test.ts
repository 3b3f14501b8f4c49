// The kernel command-line parser and the rules for parameters we write, proved through the real
// GRUB config generation: grub-mkconfig (this machine's grub-common, /etc/grub.d/10_linux) run in a
// private mount namespace against a fake /etc/default/grub plus our drop-in, its grub.cfg read back
// the way GRUB and then the kernel read it.
import { execFileSync, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import fc from "fast-check";
import {
    cmdlineFromGrubLinux,
    editCmdline,
    grubLoaderCmdline,
    grubWords,
    lastValue,
    nameError,
    parseCmdline,
    renderParams,
    valueError,
} from "../../provider/kernel/cmdline";
import { renderGrubDropin } from "../../provider/boot/model";

const params = (text: string) => parseCmdline(text).params.map((p) => [p.name, p.value]);

describe("parseCmdline: the kernel's grammar (next_arg, parse_args)", () => {
    test("whitespace separates, double quotes group, the value's quotes are removed", () => {
        expect(params('  a b=1 c="x y"\td=e=f "g=h i" j="k"l ')).toEqual([
            ["a", null],
            ["b", "1"],
            ["c", "x y"],
            ["d", "e=f"],
            ["g", "h i"],
            // a quote inside a value is kept, as the kernel keeps it
            ["j", 'k"l'],
        ]);
    });
    test("a bare -- ends the kernel's part; the rest is init's", () => {
        const p = parseCmdline("ro quiet -- single x=1");
        expect(p.params.map((x) => x.name)).toEqual(["ro", "quiet"]);
        expect(p.initArgs).toBe("single x=1");
        // quoted, it still ends it (the kernel strips the token's quotes first)
        expect(parseCmdline('a "--" b').params.map((x) => x.name)).toEqual(["a"]);
        // but not with a value, nor inside quotes
        expect(params('--=1 a="-- b"')).toEqual([["--", "1"], ["a", "-- b"]]);
    });
    test("edge cases match the C code", () => {
        expect(params('a="')).toEqual([["a", ""]]);
        expect(params("=x")).toEqual([["=x", null]]);
        expect(params("=a=b")).toEqual([["=a", "b"]]);
        expect(params('"abc')).toEqual([["abc", null]]);
        expect(params('a="b c')).toEqual([["a", "b c"]]);
        expect(params("a\nb\rc\fd\ve")).toEqual([["a", null], ["b", null], ["c", null], ["d", null], ["e", null]]);
    });
    test("the last occurrence is the one in force; - and _ are the same", () => {
        expect(lastValue("module.sig-enforce=0 x module.sig_enforce=1", "module.sig_enforce")).toBe("1");
        expect(lastValue("slab_nomerge", "slab_nomerge")).toBeNull();
        expect(lastValue("a=1", "b")).toBeUndefined();
    });
});

describe("validation: nothing ends the list, smuggles a parameter, or breaks out of GRUB's variable", () => {
    test.each([["--"], ["-x"], ["a b"], ['a"b'], ["a=b"], ["a\nb"], [""], ["$x"], ["a;b"], ["lockdown"], ["BOOT_IMAGE"], ["root"], ["x".repeat(129)]])("name %j is refused", (n) => {
        expect(nameError(n)).toBeDefined();
    });
    test.each([["module.sig_enforce"], ["slab_nomerge"], ["init_on_alloc"], ["page_alloc.shuffle"], ["efi"], ["iommu.strict"]])("name %s is fine", (n) => {
        expect(nameError(n)).toBeUndefined();
    });
    test.each([
        ['a" b=c'],
        ["1\nGRUB_CMDLINE_LINUX=x"],
        ["$(reboot)"],
        ["`id`"],
        ["x\\"],
        ["a'b"],
        [" a"],
        ["a "],
        ["a\tb"],
        ["a;b"],
        ["a|b"],
        ["${x}"],
        ["a#b"],
        ["*"],
    ])("value %j is refused", (v) => {
        expect(valueError(v)).toBeDefined();
    });
    test.each([[""], ["1"], ["auto,nosmt"], ["ttyS0,115200n8"], ["a b"], ["UUID=0f0e-1"], ["on"], ["/dev/vda1"]])("value %j is fine", (v) => {
        expect(valueError(v)).toBeUndefined();
    });
    test("a value with spaces is written in the kernel's double quotes; an empty value is a bare flag", () => {
        expect(renderParams({ b: "x y", a: "", c: "1" })).toBe('a b="x y" c=1');
    });
});

describe("GRUB: grub.cfg words and loader quoting", () => {
    test("words, quotes and escapes", () => {
        expect(grubWords(`linux /v root=/dev/vda ro a="x y" 'b c' d\\ e`)).toEqual(["linux", "/v", "root=/dev/vda", "ro", "a=x y", "b c", "d e"]);
        expect(grubLoaderCmdline(["/v", "a=x y", 'q"'])).toBe('/v "a=x y" q\\"');
        expect(cmdlineFromGrubLinux(`\tlinux\t/vmlinuz ro a="x y"`)).toBe('BOOT_IMAGE=/vmlinuz ro "a=x y"');
        expect(params(cmdlineFromGrubLinux(`linux /vmlinuz ro a="x y"`)!)).toEqual([["BOOT_IMAGE", "/vmlinuz"], ["ro", null], ["a", "x y"]]);
    });
});

describe("editCmdline: /etc/kernel/cmdline edited in place", () => {
    test("replaces the first, drops later ones, appends before --, keeps every other byte", () => {
        expect(editCmdline('root=x ro  quiet a=1 foo="a b" a=2 -- single\n', { a: "3", b: "", c: "p q" })).toBe('root=x ro  quiet a=3 foo="a b" b c="p q" -- single\n');
        expect(editCmdline("root=x a=1 quiet\n", { a: null })).toBe("root=x quiet\n");
        expect(editCmdline("", { a: "1" })).toBe("a=1\n");
        expect(editCmdline("ro", { "module.sig_enforce": "1" })).toBe("ro module.sig_enforce=1");
    });
});

// ---- property tests -------------------------------------------------------------------------------

const WORD = /^[A-Za-z0-9_.,:=+/@%-]{1,10}$/;
const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/).filter((n) => nameError(n) === undefined);
const goodValue = fc.oneof(fc.constant(""), fc.array(fc.stringMatching(WORD), { minLength: 1, maxLength: 3 }).map((w) => w.join(" ")));
// Hostile candidates: whatever validation accepts must still come through exactly.
const hostileValue = fc.string({ unit: fc.constantFrom(..."a1=-_. \"'\\$`;\n\t#*(){}|&<>!~"), maxLength: 8 });
const paramsArb = fc
    .dictionary(nameArb, fc.oneof(goodValue, goodValue, hostileValue), { minKeys: 1, maxKeys: 4 })
    .map((d) => {
        const seen = new Set<string>();
        return Object.fromEntries(
            Object.entries(d).filter(([k, v]) => {
                const c = k.replace(/-/g, "_");
                if (seen.has(c) || valueError(v) !== undefined) return false;
                seen.add(c);
                return true;
            }),
        );
    })
    .filter((d) => Object.keys(d).length > 0);

const asParsed = (p: Record<string, string>) => Object.keys(p).sort().map((k) => [k, p[k] === "" ? null : p[k]]);

test("property: rendered parameters parse back to exactly the same parameters (kernel grammar)", () => {
    fc.assert(
        fc.property(paramsArb, (p) => {
            expect(params(`root=/dev/vda ro ${renderParams(p)} quiet`)).toEqual([["root", "/dev/vda"], ["ro", null], ...asParsed(p), ["quiet", null]]);
        }),
        { numRuns: 500 },
    );
});

test("property: validation refuses every value that would not come through the kernel's grammar as one parameter", () => {
    fc.assert(
        fc.property(nameArb, hostileValue, (n, v) => {
            const ok = valueError(v) === undefined;
            const parsed = params(`${renderParams({ [n]: v })}`);
            if (ok) expect(parsed).toEqual([[n, v === "" ? null : v]]);
        }),
        { numRuns: 2000 },
    );
});

const BASE = 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="console=ttyS0 net.ifnames=0"\n';
const BASE_NAMES = new Set(["BOOT_IMAGE", "root", "ro", "single", "console", "net.ifnames", "quiet"]);
const DROPIN = "90-kernelhardening-cmdline.cfg";

function sourceWithSh(dir: string): string {
    // Exactly grub-mkconfig's sourcing of /etc/default/grub and /etc/default/grub.d/*.cfg.
    const script = `. "$1/grub"; for x in "$1"/grub.d/*.cfg; do if [ -e "$x" ]; then . "$x"; fi; done; printf '%s' "$GRUB_CMDLINE_LINUX"`;
    return execFileSync("/bin/sh", ["-c", script, "sh", dir]).toString();
}

test("property: the drop-in sourced by sh as grub-mkconfig does gives GRUB_CMDLINE_LINUX with exactly our parameters added", () => {
    const root = mkdtempSync(join(tmpdir(), "kh-cmdline-sh-"));
    try {
        fc.assert(
            fc.property(paramsArb, (p) => {
                mkdirSync(join(root, "grub.d"), { recursive: true });
                writeFileSync(join(root, "grub"), BASE);
                writeFileSync(join(root, "grub.d", DROPIN), renderGrubDropin("kernelhardening:index:KernelCmdline", p));
                expect(params(sourceWithSh(root))).toEqual([["console", "ttyS0"], ["net.ifnames", "0"], ...asParsed(p)]);
            }),
            { numRuns: 150 },
        );
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
});

// grub-mkconfig needs root (bind mounts in a private mount namespace) and grub-common; scripts/install-deps.sh
// installs grub-common and the suite runs as root, so a machine without them fails here rather than skip.
const canRunGrub = existsSync("/usr/sbin/grub-mkconfig") && existsSync("/etc/grub.d/10_linux") && spawnSync("unshare", ["-m", "true"]).status === 0;

const FAKE_PROBE = `#!/bin/sh
case "$*" in
  *--target=device*) echo /dev/vda ;;
  *--target=fs_uuid*) echo 0f0e-test ;;
  *--target=fs*) echo ext2 ;;
  *--target=drive*) echo '(hd0)' ;;
  *--target=compatibility_hint*) echo hd0 ;;
esac
exit 0
`;

// Bind mounts only inside this namespace: /boot (one fake kernel), /etc/grub.d (10_linux only),
// grub-probe (a fixed root device), then each case's /etc/default in turn.
const SANDBOX = `set -eu
b=$1
mount --bind "$b/boot" /boot
mount --bind "$b/grub.d" /etc/grub.d
mount --bind "$b/grub-probe" /usr/sbin/grub-probe
for c in "$b"/cases/*; do
  mount --bind "$c/default" /etc/default
  grub-mkconfig -o "$c/grub.cfg" > "$c/log" 2>&1 || echo failed > "$c/failed"
  umount /etc/default
done
`;

test("property: through the real grub-mkconfig (10_linux, grub-script-check), GRUB and the kernel see exactly our parameters", () => {
    if (!canRunGrub) throw new Error("needs root and grub-common (/usr/sbin/grub-mkconfig, /etc/grub.d/10_linux, unshare -m)");
    const root = mkdtempSync(join(tmpdir(), "kh-cmdline-grub-"));
    try {
        mkdirSync(join(root, "boot"));
        writeFileSync(join(root, "boot", "vmlinuz-6.1.0-99-amd64"), "");
        mkdirSync(join(root, "grub.d"));
        writeFileSync(join(root, "grub.d", "10_linux"), readFileSync("/etc/grub.d/10_linux"), { mode: 0o755 });
        writeFileSync(join(root, "grub-probe"), FAKE_PROBE, { mode: 0o755 });
        const cases = fc.sample(paramsArb, { numRuns: 24, seed: 15 });
        // Fixed cases worth having every time: spaces, a bare flag, the post's parameter.
        cases.push({ "module.sig_enforce": "1", slab_nomerge: "", dyndbg: "file x p", mitigations: "auto,nosmt" });
        cases.forEach((p, i) => {
            const d = join(root, "cases", String(i).padStart(3, "0"), "default");
            mkdirSync(join(d, "grub.d"), { recursive: true });
            writeFileSync(join(d, "grub"), BASE);
            writeFileSync(join(d, "grub.d", DROPIN), renderGrubDropin("kernelhardening:index:KernelCmdline", p));
        });
        execFileSync("unshare", ["-m", "sh", "-c", SANDBOX, "sh", root], { stdio: "pipe" });
        cases.forEach((p, i) => {
            const c = join(root, "cases", String(i).padStart(3, "0"));
            expect({ p, failed: existsSync(join(c, "failed")) ? readFileSync(join(c, "log"), "utf8") : false }).toEqual({ p, failed: false });
            const lines = readFileSync(join(c, "grub.cfg"), "utf8").split("\n").filter((l) => /^\s*linux\s/.test(l));
            expect(lines.length).toBe(3);
            for (const line of lines) {
                const got = params(cmdlineFromGrubLinux(line)!).filter(([n]) => !BASE_NAMES.has(n!));
                expect({ p, got }).toEqual({ p, got: asParsed(p) });
            }
        });
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
}, 120_000);
