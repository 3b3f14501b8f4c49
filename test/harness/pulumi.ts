// Drives the real Pulumi CLI (built from source by scripts/build-pulumi-cli.sh) against a local
// file backend with a passphrase secrets provider: no service, no update checks, no plugin downloads.
import { ChildProcess, execFile, execFileSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

const ROOT = resolve(__dirname, "../..");

let cliDir: string | undefined;
export function pulumiBin(): string {
    cliDir ??=
        process.env.KH_PULUMI_DIR ??
        execFileSync("bash", [join(ROOT, "scripts/build-pulumi-cli.sh")], { stdio: ["ignore", "pipe", "inherit"] })
            .toString()
            .trim();
    return cliDir;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout + stderr, for assertions on what a user sees. */
    output: string;
}

export class Stack {
    readonly backend: string;
    readonly home: string;
    readonly env: NodeJS.ProcessEnv;

    private static count = 0;

    /** The stack name is unique per process and instance: its config file lives in the project folder. */
    constructor(
        readonly projectDir: string,
        readonly name = `t${process.pid}x${++Stack.count}`,
        extraEnv: NodeJS.ProcessEnv = {},
    ) {
        this.backend = mkdtempSync(join(tmpdir(), "kh-backend-"));
        this.home = mkdtempSync(join(tmpdir(), "kh-pulumi-home-"));
        this.env = {
            ...process.env,
            PATH: `${pulumiBin()}:${process.env.PATH}`,
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: "kh-test-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            NO_COLOR: "1",
            ...extraEnv,
        };
    }

    run(
        args: string[],
        opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; stdin?: string } = {},
    ): Promise<RunResult> {
        return this.start(args, opts).result;
    }

    /** Like run, with the CLI's process at hand while it runs (to interrupt it, as Ctrl-C would). */
    start(
        args: string[],
        opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; stdin?: string } = {},
    ): { child: ChildProcess; result: Promise<RunResult> } {
        let child: ChildProcess | undefined;
        const result = new Promise<RunResult>((resolveRun) => {
            child = execFile(
                "pulumi",
                ["--cwd", this.projectDir, "--non-interactive", "--color", "never", ...args],
                {
                    env: { ...this.env, ...(opts.env ?? {}) },
                    timeout: opts.timeoutMs ?? 300_000,
                    maxBuffer: 64 * 1024 * 1024,
                },
                (err, stdout, stderr) => {
                    const code = err
                        ? typeof (err as { code?: unknown }).code === "number"
                            ? (err as { code: number }).code
                            : 1
                        : 0;
                    resolveRun({ code, stdout, stderr, output: stdout + stderr });
                },
            );
            child.stdin?.end(opts.stdin ?? "");
        });
        return { child: child!, result };
    }

    async ok(
        args: string[],
        opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; stdin?: string } = {},
    ): Promise<RunResult> {
        const r = await this.run(args, opts);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.output}`);
        return r;
    }

    async init(config: Record<string, { value: string; secret?: boolean }> = {}): Promise<void> {
        await this.ok(["stack", "init", this.name]);
        for (const [k, v] of Object.entries(config)) await this.setConfig(k, v.value, v.secret);
    }

    async setConfig(key: string, value: string, secret = false): Promise<void> {
        // The value goes on stdin, so secrets never show in a process list or an error message.
        await this.ok(
            ["config", "set", "--stack", this.name, "--raw", ...(secret ? ["--secret"] : ["--plaintext"]), key],
            { stdin: value },
        );
    }

    up(extra: string[] = []) {
        return this.run(["up", "--yes", "--skip-preview", "--stack", this.name, ...extra]);
    }

    preview(extra: string[] = []) {
        return this.run(["preview", "--diff", "--stack", this.name, ...extra]);
    }

    refresh(extra: string[] = []) {
        return this.run(["refresh", "--yes", "--skip-preview", "--stack", this.name, ...extra]);
    }

    destroy(extra: string[] = []) {
        return this.run(["destroy", "--yes", "--skip-preview", "--stack", this.name, ...extra]);
    }

    // Tests read arbitrary, deeply nested outputs from state: `any` keeps their assertions short.
    /* eslint-disable @typescript-eslint/no-explicit-any */
    /** The stack's state (deployment) as JSON; secrets decrypted only when asked. */
    async state(showSecrets = false): Promise<{ deployment: { resources?: Array<Record<string, any>> } }> {
        const r = await this.ok(["stack", "export", "--stack", this.name, ...(showSecrets ? ["--show-secrets"] : [])]);
        return JSON.parse(r.stdout);
    }

    async outputsOf(type: string, name: string): Promise<Record<string, any>> {
        const st = await this.state(true);
        const r = (st.deployment.resources ?? []).find((x) => x.type === type && String(x.urn).endsWith(`::${name}`));
        if (!r) throw new Error(`no ${type} ${name} in state`);
        return r.outputs;
    }
    /* eslint-enable @typescript-eslint/no-explicit-any */

    cleanup(): void {
        rmSync(join(this.projectDir, `Pulumi.${this.name}.yaml`), { force: true });
        rmSync(this.backend, { recursive: true, force: true });
        rmSync(this.home, { recursive: true, force: true });
    }
}
