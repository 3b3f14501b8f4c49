// What e2e test files share: the booted host (restored to its snapshot per test) and stacks.
import { readFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { restore, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";

/** Per jest run (global setup sets it), so two suites running at once each keep their own host. */
export function e2eStateFile(): string {
    return (process.env.KH_E2E_STATE_FILE ??= join(tmpdir(), `kh-e2e-vm-${process.pid}.json`));
}
export const PROGRAM_DIR = resolve(__dirname, "program");

export function sharedVm(): VmState {
    return JSON.parse(readFileSync(e2eStateFile(), "utf8")) as VmState;
}

/** The shared host, back at its pristine snapshot. */
export async function pristineVm(): Promise<VmState> {
    const vm = sharedVm();
    await restore(vm, "ready");
    return vm;
}

export interface ResourceSpec {
    type: string;
    name: string;
    args: Record<string, unknown>;
    /** null: none, the provider's connection is used. */
    connection?: Record<string, unknown> | null;
    /** Adopt an existing resource with this id (pulumi import). */
    import?: string;
    /** An explicit provider of config `providers` (test/e2e/program). */
    provider?: string;
}

/** A fresh stack of the e2e program with the given connection and resources. */
export async function newStack(connection: Record<string, unknown>, resources: ResourceSpec[], env: NodeJS.ProcessEnv = {}): Promise<Stack> {
    const st = new Stack(PROGRAM_DIR, undefined, env);
    await st.init({ connection: { value: JSON.stringify(connection), secret: true }, resources: { value: JSON.stringify(resources) } });
    return st;
}

export async function setResources(st: Stack, resources: ResourceSpec[]): Promise<void> {
    await st.setConfig("resources", JSON.stringify(resources));
}

/** The platforms of the matrix (project "platforms"); Debian 12 is the e2e project's shared host. */
export const MATRIX_PLATFORMS = ["debian13", "debian13-uefi"] as const;
