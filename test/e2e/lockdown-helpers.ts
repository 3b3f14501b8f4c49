// What the Lockdown e2e files share: the resource, its files on the host, and the level the kernel reports.
import { sh, sshExec, VmState } from "../harness/vm";
import { ResourceSpec } from "./shared";

export const TOKEN = "kernelhardening:index:Lockdown";
export const DROPIN = "/etc/default/grub.d/90-kernelhardening-lockdown.cfg";
export const UNIT = "/etc/systemd/system/kernelhardening-lockdown.service";

export function lockdown(mode: string): ResourceSpec {
    return { type: "Lockdown", name: "lockdown", args: { mode } };
}

export async function level(on: VmState): Promise<string> {
    const text = await sh(on, "cat /sys/kernel/security/lockdown");
    return /\[([a-z]+)\]/.exec(text)![1];
}

export async function exists(path: string, on: VmState): Promise<boolean> {
    return (await sshExec(on, `test -e ${path}`)).code === 0;
}

/** The kernel lines of grub.cfg that the next boot can take. */
export async function grubLinuxLines(on: VmState): Promise<string[]> {
    return (await sh(on, "grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg")).trim().split("\n");
}
