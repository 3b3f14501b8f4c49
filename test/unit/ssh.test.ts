import { createHmac, randomBytes } from "crypto";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { fingerprint, hostKeyAlgorithms, knownHostKeys, parsePin, readKnownHosts, verifyHostKey } from "../../provider/ssh/hostkeys";
import { shellQuote } from "../../provider/host/run";
import { scrubSecrets } from "../../provider/ssh/redact";
import { ConnectionSchema, usesSudo, endpoint } from "../../provider/ssh/connection";

// A real ed25519 public key line and its blob.
const LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEIvdwdLo/NsjAAuT3IMilYKewWdkJwQOetLejGIkHd9";
const BLOB = Buffer.from(LINE.split(" ")[1], "base64");

describe("host keys", () => {
    test("fingerprints like ssh-keygen -lf", () => {
        expect(fingerprint(BLOB)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
        expect(parsePin(LINE)).toEqual({ type: "ssh-ed25519", fingerprint: fingerprint(BLOB) });
        expect(parsePin(fingerprint(BLOB) + "=")).toEqual({ fingerprint: fingerprint(BLOB) });
    });

    test("a pinned key accepts only that key, and errors name the host and what was seen", () => {
        const policy = { kind: "pinned" as const, keys: [parsePin(LINE)], source: "connection.hostKey" };
        expect(verifyHostKey(policy, BLOB, "h:22")).toBeUndefined();
        const other = Buffer.concat([BLOB.subarray(0, BLOB.length - 1), Buffer.from([0])]);
        expect(verifyHostKey(policy, other, "h:2222")).toMatch(/^host key verification failed for h:2222: the host presented ssh-ed25519 SHA256:\S+, expected ssh-ed25519 SHA256:/);
        expect(verifyHostKey({ kind: "pinned", keys: [], source: "x" }, BLOB, "h:22")).toMatch(/unknown host key/);
        expect(verifyHostKey({ kind: "insecure" }, other, "h:22")).toBeUndefined();
    });

    test("known_hosts: plain, bracketed ports, wildcards, negation and hashed names", () => {
        const dir = mkdtempSync(join(tmpdir(), "kh-known-"));
        const salt = randomBytes(20);
        const hashed = `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update("[10.1.1.1]:2222").digest("base64")}`;
        const file = join(dir, "known_hosts");
        writeFileSync(file, [`# comment`, `web1,web2 ${LINE}`, `[db]:2200 ${LINE}`, `*.example.com,!bad.example.com ${LINE}`, `${hashed} ${LINE}`, `@revoked web3 ${LINE}`].join("\n"));
        expect(knownHostKeys(file, "web2", 22)).toHaveLength(1);
        expect(knownHostKeys(file, "web2", 2200)).toHaveLength(0);
        expect(knownHostKeys(file, "db", 2200)).toHaveLength(1);
        expect(knownHostKeys(file, "a.example.com", 22)).toHaveLength(1);
        expect(knownHostKeys(file, "bad.example.com", 22)).toHaveLength(0);
        expect(knownHostKeys(file, "10.1.1.1", 2222)).toHaveLength(1);
        expect(knownHostKeys(file, "web3", 22)).toHaveLength(0);
        expect(knownHostKeys(join(dir, "missing"), "web1", 22)).toEqual([]);
    });

    test("known_hosts: @revoked keys are listed apart, for the hosts they name, and refused first", () => {
        const dir = mkdtempSync(join(tmpdir(), "kh-known-"));
        const file = join(dir, "known_hosts");
        writeFileSync(file, [`web1 ${LINE}`, `@revoked * ${LINE}`, `@cert-authority *.example.com ${LINE}`].join("\n"));
        const known = readKnownHosts(file, "web1", 22);
        expect(known).toEqual({ keys: [parsePin(LINE)], revoked: [parsePin(LINE)] });
        expect(readKnownHosts(file, "a.example.com", 22)).toEqual({ keys: [], revoked: [parsePin(LINE)] });
        const policy = { kind: "pinned" as const, ...known, source: file };
        expect(verifyHostKey(policy, BLOB, "web1:22")).toMatch(/^host key verification failed for web1:22: the host presented ssh-ed25519 SHA256:\S+, which .* marks @revoked$/);
    });

    test("an RSA key is negotiated with SHA-2 signatures only", () => {
        expect(hostKeyAlgorithms("ssh-rsa")).toEqual(["rsa-sha2-512", "rsa-sha2-256"]);
        expect(hostKeyAlgorithms("ssh-ed25519")).toEqual(["ssh-ed25519"]);
    });
});

describe("connection", () => {
    test("defaults and sudo", () => {
        const c = ConnectionSchema.parse({ host: "h" });
        expect(c).toMatchObject({ port: 22, user: "root", dialErrorLimit: 10, perDialTimeout: 15, commandTimeout: 600 });
        expect(ConnectionSchema.safeParse({ host: "h", sudoPassword: "a\nb" }).error?.issues[0]).toMatchObject({ path: ["sudoPassword"] });
        expect(ConnectionSchema.safeParse({ host: "h", commandTimeout: 0 }).error?.issues[0]).toMatchObject({ path: ["commandTimeout"] });
        expect(ConnectionSchema.safeParse({ host: "h", proxy: { host: "j", sudoPassword: "x" } }).success).toBe(false);
        expect(usesSudo(c)).toBe(false);
        expect(usesSudo(ConnectionSchema.parse({ host: "h", user: "deploy" }))).toBe(true);
        expect(usesSudo(ConnectionSchema.parse({ host: "h", user: "deploy", sudo: false }))).toBe(false);
        expect(endpoint({ host: "::1", port: 22 })).toBe("[::1]:22");
        expect(ConnectionSchema.safeParse({ host: "h", proxy: { host: "j", sudo: true } }).success).toBe(false);
    });

    test("only our constant scripts are quoted, and quoting survives any byte", () => {
        expect(shellQuote("a'b")).toBe("'a'\\''b'");
    });

    test("secrets are scrubbed from messages", () => {
        expect(scrubSecrets("auth failed for hunter2 at h", ["hunter2", undefined, "x"])).toBe("auth failed for [secret] at h");
    });
});

test("begin_apply (every apply's start): survives a hang-up, delivers its held output at the end, removes its temp files", () => {
    const { SH_PRELUDE } = require("../../provider/host/shell") as typeof import("../../provider/host/shell");
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const dir = mkdtempSync(join(tmpdir(), "kh-apply-"));
    // The host lock under a private root (KH_ROOT), so the test never touches this machine's /run.
    require("fs").mkdirSync(join(dir, "run"));
    const prelude = SH_PRELUDE;
    const script = `${prelude}
a=$(mktemp); echo "$a" > ${dir}/files
begin_apply "$a"
b=$(mktemp); cleanup_later "$b"; echo "$b" >> ${dir}/files
emit before hup
kill -HUP $$
emit after hup
[ -e ${dir}/run/kernelhardening/owner ] && emit locked
exit 3
`;
    const r = spawnSync("dash", ["-c", script], { encoding: "utf8", env: { ...process.env, KH_ROOT: dir } });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("before\thup\nafter\thup\nlocked\n");
    const files = require("fs").readFileSync(join(dir, "files"), "utf8").trim().split("\n");
    expect(files).toHaveLength(2);
    for (const f of files) expect(require("fs").existsSync(f)).toBe(false);
});

test("read_input acts only on input that ends with END: input a lost connection cut short is refused", () => {
    const { SH_PRELUDE } = require("../../provider/host/shell") as typeof import("../../provider/host/shell");
    const { encodeRecords } = require("../../provider/host/records") as typeof import("../../provider/host/records");
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const run = (stdin: string) => spawnSync("dash", ["-c", `${SH_PRELUDE}\nin=$(mktemp); read_input "$in"; cat "$in"; rm -f "$in"`], { input: stdin, encoding: "utf8" });
    const full = encodeRecords([["S", "kernel.kptr_restrict", "Mg=="], ["W", "YQ=="]]);
    expect(run(full)).toMatchObject({ status: 0, stdout: "S\tkernel.kptr_restrict\tMg==\nW\tYQ==\n" });
    for (const cut of [0, 5, full.length - 6, full.length - 4, full.length - 2]) {
        expect(run(full.slice(0, cut))).toMatchObject({ status: 65, stdout: "", stderr: expect.stringMatching(/incomplete input/) });
    }
});

describe("the one exit for messages: secrets of any length scrubbed, control characters escaped", () => {
    const { registerSecret, sanitize, escapeControl, trimRemote } = require("../../provider/ssh/redact") as typeof import("../../provider/ssh/redact");

    test("registered secrets, however short, never leave in clear (nor escaped)", () => {
        registerSecret("Q7");
        registerSecret("long-secret-Q7-x");
        registerSecret("pa\x1bss");
        expect(sanitize("auth Q7 and long-secret-Q7-x and pa\x1bss and pa\\x1bss")).toBe("auth [secret] and [secret] and [secret] and [secret]");
        expect(scrubSecrets("k=1", ["1"])).toBe("k=[secret]");
    });

    test("C0, C1, DEL and bidi overrides are escaped; newlines and tabs of our own messages stay", () => {
        expect(sanitize("a\x1b]0;t\x07b\x9bc\x7f\u202e\r\nd\te")).toBe("a\\x1b]0;t\\x07b\\x9bc\\x7f\\u202e\\x0d\nd\te");
        expect(escapeControl("a\nb\tc", true)).toBe("a\\x0ab\\x09c");
    });

    test("remote text in a message: the last lines, on one line, bounded", () => {
        expect(trimRemote("one\ntwo\nthree\nfour\n")).toBe("two | three | four");
        expect(trimRemote("z".repeat(2000)).length).toBe(501);
    });

    test("the protocol's error path and the engine log sanitise what they send", async () => {
        const { makeService } = await import("../../provider/protocol/server");
        const { EngineLogger } = await import("../../provider/protocol/engine");
        registerSecret("Zz");
        const logger = new EngineLogger();
        const written: string[] = [];
        const spy = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
        try {
            logger.log("warning", "host said \x1b[2J with Zz");
        } finally {
            spy.mockRestore();
        }
        expect(written).toEqual(["warning: host said \\x1b[2J with [secret]\n"]);
        const handler = {
            token: "kernelhardening:index:Sysctl",
            secretPaths: [],
            check: () => {
                throw new Error("boom \x1b]0;x\x07 Zz");
            },
        };
        const svc = makeService({ name: "kh", version: "0", schema: "{}", resources: [handler as never], functions: [] }, logger);
        const { CheckRequest } = await import("@pulumi/pulumi/proto/provider_pb");
        const req = new CheckRequest().setUrn("urn:pulumi:s::p::kernelhardening:index:Sysctl::a").setType("kernelhardening:index:Sysctl");
        const err = await new Promise<{ details: string }>((resolve) => (svc.check as any)({ request: req }, (e: { details: string }) => resolve(e)));
        expect(err.details).toBe("boom \\x1b]0;x\\x07 [secret]");
    });
});
