// Stops the shared test host whatever happened in the tests.
import { rmSync } from "fs";
import { stopVm, VmState } from "../harness/vm";
import { e2eStateFile } from "./shared";

export default async function globalTeardown(): Promise<void> {
    const vm = (globalThis as Record<string, unknown>).__KH_VM__ as VmState | undefined;
    if (vm) await stopVm(vm);
    rmSync(e2eStateFile(), { force: true });
}
