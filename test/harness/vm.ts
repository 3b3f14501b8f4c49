// Test hosts under QEMU (TCG), one image per platform (Debian 12 BIOS/GRUB, Debian 13 BIOS/GRUB,
// Debian 13 UEFI/systemd-boot): copy-on-write overlays of the cached base image, SSH forwarded to a
// free port on 127.0.0.1, snapshot/restore through the QEMU monitor, and real reboots through the
// guest's own boot loader (GRUB's config, or the firmware's boot order and systemd-boot's entries).
import { ChildProcess, execFileSync, spawn } from "child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, existsSync } from "fs";
import { createServer, connect } from "net";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { Client } from "ssh2";

const ROOT = resolve(__dirname, "../..");

export const PLATFORMS = ["debian12", "debian13", "debian13-uefi"] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface ImageInfo {
    dir: string;
    platform: Platform;
    /** How the image boots: written by the build script, not derived from the platform's name. */
    boot: "bios" | "uefi";
    privateKey: string;
    hostPublicKey: string; // "ssh-ed25519 AAAA…"
}

/** KH_VM_IMAGE_DIR (debian12, as before), KH_VM_IMAGE_DIR_DEBIAN13, KH_VM_IMAGE_DIR_DEBIAN13_UEFI. */
export function imageEnvVar(platform: Platform): string {
    return platform === "debian12" ? "KH_VM_IMAGE_DIR" : `KH_VM_IMAGE_DIR_${platform.toUpperCase().replace(/-/g, "_")}`;
}

/** Builds (or finds in the cache) the VM image of a platform; the script prints its directory. */
export function ensureImage(platform: Platform = "debian12"): ImageInfo {
    const script = join(ROOT, "scripts/build-vm-image.sh");
    const dir = process.env[imageEnvVar(platform)] ??
        // Under flock: the e2e halves and the platform matrix run side by side and may all want an image
        // that a cold cache does not hold yet; one builds it, the others then find it ready.
        execFileSync("flock", [join(tmpdir(), `kh-image-${platform}.lock`), "bash", script, platform], {
            stdio: ["ignore", "pipe", "inherit"],
        }).toString().trim();
    const field = (f: string, dflt: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim() : dflt);
    const boot = field("boot", "bios");
    if (boot !== "bios" && boot !== "uefi") throw new Error(`${dir}/boot: unknown boot type ${boot}`);
    return {
        dir,
        platform: field("platform", "debian12") as Platform,
        boot,
        privateKey: readFileSync(join(dir, "id_ed25519"), "utf8"),
        hostPublicKey: readFileSync(join(dir, "ssh_host_ed25519_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" "),
    };
}

export function freePort(): Promise<number> {
    return new Promise((resolvePort, reject) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as { port: number }).port;
            s.close(() => resolvePort(port));
        });
        s.on("error", reject);
    });
}

export interface VmState {
    name: string;
    port: number;
    pid: number;
    dir: string;
    monitor: string;
    image: ImageInfo;
    /** Boots through the guest's GRUB and lets the guest reboot itself (no -no-reboot), for HostReboot. */
    guestReboots?: boolean;
}

export interface ExecOutput {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a command on the guest as `user` with the test key (host key pinned). */
export function sshExec(vm: Pick<VmState, "port" | "image">, command: string, opts: { user?: string; stdin?: string; timeoutMs?: number } = {}): Promise<ExecOutput> {
    return new Promise((resolveExec, reject) => {
        const c = new Client();
        const timer = setTimeout(() => {
            c.end();
            reject(new Error(`ssh ${command}: timed out`));
        }, opts.timeoutMs ?? 120_000);
        c.on("ready", () => {
            c.exec(command, (err, stream) => {
                if (err) return reject(err);
                let stdout = "";
                let stderr = "";
                let code = -1;
                stream.on("data", (d: Buffer) => (stdout += d.toString()));
                stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
                stream.on("exit", (x: number) => (code = x));
                stream.on("close", () => {
                    clearTimeout(timer);
                    c.end();
                    resolveExec({ code, stdout, stderr });
                });
                stream.end(opts.stdin ?? "");
            });
        });
        c.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        c.connect({ host: "127.0.0.1", port: vm.port, username: opts.user ?? "root", privateKey: vm.image.privateKey, readyTimeout: opts.timeoutMs ? Math.min(opts.timeoutMs, 60_000) : 60_000 });
    });
}

/** Like sshExec but fails on a non-zero exit status; returns stdout. */
export async function sh(vm: Pick<VmState, "port" | "image">, command: string, opts: { user?: string; stdin?: string } = {}): Promise<string> {
    const r = await sshExec(vm, command, opts);
    if (r.code !== 0) throw new Error(`guest command failed (${r.code}): ${command}\n${r.stderr}`);
    return r.stdout;
}

async function waitForSsh(vm: VmState, proc: ChildProcess | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown;
    while (Date.now() < deadline) {
        if (proc && proc.exitCode !== null) throw new Error(`qemu exited (${proc.exitCode}) before SSH came up; serial log: ${join(vm.dir, "serial.log")}`);
        try {
            const r = await sshExec(vm, "true", { timeoutMs: 15_000 });
            if (r.code === 0) return;
        } catch (e) {
            lastErr = e;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`no SSH on 127.0.0.1:${vm.port} after ${timeoutMs / 1000} s: ${lastErr}; serial log: ${join(vm.dir, "serial.log")}`);
}

/**
 * Starts qemu under a small watchdog shell that kills it when the starting process dies, so no
 * qemu outlives a test run that crashed or was interrupted.
 */
function launch(vm: VmState, boot: "kernel" | "loader"): ChildProcess {
    const img = vm.image.dir;
    const args = [
        "-name", `kh-test-${vm.name}`,
        "-accel", "tcg", "-m", "768", "-smp", "1",
        "-nographic", "-serial", `file:${join(vm.dir, "serial.log")}`, "-monitor", `unix:${vm.monitor},server,nowait`,
        "-drive", `file=${join(vm.dir, "disk.qcow2")},if=virtio,format=qcow2`,
        // UEFI: the firmware and this VM's own copy of its variables (the boot order bootctl set)
        ...(vm.image.boot === "uefi"
            ? ["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${join(img, "OVMF_CODE.fd")}`,
                "-drive", `if=pflash,format=qcow2,unit=1,file=${join(vm.dir, "efivars.qcow2")}`]
            : []),
        "-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${vm.port}-:22`, "-device", "virtio-net-pci,netdev=n0",
    ];
    // A guest reboot resets the machine, which boots the guest's own boot loader again.
    if (!vm.guestReboots) args.push("-no-reboot");
    if (vm.image.boot === "uefi") {
        // Always through the firmware and systemd-boot: its entries are what kernel-install wrote.
    } else if (boot === "kernel") {
        args.push("-kernel", join(img, "vmlinuz"), "-initrd", join(img, "initrd.img"), "-append", readFileSync(join(img, "cmdline"), "utf8").trim());
    } else {
        args.push("-cdrom", join(img, "rescue.iso"), "-boot", "d");
    }
    const watchdog = 'p=$1; shift; "$@" & q=$!; while kill -0 $q 2>/dev/null; do if ! kill -0 $p 2>/dev/null; then kill $q; sleep 2; kill -9 $q 2>/dev/null; exit 0; fi; sleep 1; done; wait $q';
    const proc = spawn("sh", ["-c", watchdog, "sh", String(process.pid), "qemu-system-x86_64", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("exit", (code) => {
        if (code && code !== 0 && err) process.stderr.write(`qemu ${vm.name}: ${err}\n`);
    });
    vm.pid = proc.pid!;
    return proc;
}

const procs = new Map<string, ChildProcess>();

/** Boots a host of the image (or platform) given; debian12 by default. */
export async function startVm(
    name: string,
    imageOrPlatform: ImageInfo | Platform = "debian12",
    opts: { guestReboots?: boolean; bootTimeoutMs?: number } = {},
): Promise<VmState> {
    const image = typeof imageOrPlatform === "string" ? ensureImage(imageOrPlatform) : imageOrPlatform;
    const dir = mkdtempSync(join(tmpdir(), `kh-vm-${name}-`));
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", join(image.dir, "base.qcow2"), join(dir, "disk.qcow2")]);
    if (image.boot === "uefi") copyFileSync(join(image.dir, "efivars.qcow2"), join(dir, "efivars.qcow2"));
    const vm: VmState = { name, port: await freePort(), pid: 0, dir, monitor: join(dir, "monitor.sock"), image, guestReboots: opts.guestReboots };
    const proc = launch(vm, opts.guestReboots ? "loader" : "kernel");
    procs.set(dir, proc);
    try {
        await waitForSsh(vm, proc, opts.bootTimeoutMs ?? 360_000);
    } catch (e) {
        await stopVm(vm);
        throw e;
    }
    return vm;
}

/** Sends one command to the QEMU human monitor and returns its output. */
export function monitor(vm: Pick<VmState, "monitor">, command: string, timeoutMs = 120_000): Promise<string> {
    return new Promise((resolveMon, reject) => {
        const sock = connect(vm.monitor);
        let buf = "";
        let sent = false;
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error(`monitor ${command}: timed out`));
        }, timeoutMs);
        sock.on("data", (d) => {
            buf += d.toString();
            if (!sent && buf.includes("(qemu) ")) {
                sent = true;
                buf = "";
                sock.write(command + "\n");
            } else if (sent && buf.includes("(qemu) ")) {
                clearTimeout(timer);
                sock.end();
                resolveMon(buf.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, ""));
            }
        });
        sock.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
    });
}

/** Saves the running guest (RAM and disk) in the overlay under `tag`. */
export async function snapshot(vm: VmState, tag = "ready"): Promise<void> {
    const out = await monitor(vm, `savevm ${tag}`);
    if (/Error|error/.test(out)) throw new Error(`savevm failed: ${out}`);
}

/** Brings the guest back to the snapshot, then waits for SSH (about a second). */
export async function restore(vm: VmState, tag = "ready"): Promise<void> {
    const out = await monitor(vm, `loadvm ${tag}`);
    if (/Error|error/.test(out)) throw new Error(`loadvm failed: ${out}`);
    // A restored guest answers in seconds, unless the 2 cores are shared by several VMs (UEFI ones are slower).
    await waitForSsh(vm, procs.get(vm.dir), 180_000);
}

/**
 * A real reboot through the guest's boot configuration: power off, then boot the same disk from a
 * GRUB ISO that only loads the guest's own /boot/grub/grub.cfg (BIOS), or through the firmware's
 * boot order and the guest's systemd-boot (UEFI).
 */
export async function reboot(vm: VmState): Promise<void> {
    const old = procs.get(vm.dir);
    await sshExec(vm, "sync; systemctl poweroff", { timeoutMs: 20_000 }).catch(() => undefined);
    if (old && old.exitCode === null) {
        await new Promise<void>((r) => {
            const t = setTimeout(() => {
                old.kill("SIGKILL");
                r();
            }, 90_000);
            old.on("exit", () => {
                clearTimeout(t);
                r();
            });
        });
    }
    const proc = launch(vm, "loader");
    procs.set(vm.dir, proc);
    // Generous: a boot through the firmware under TCG beside other guests can take several minutes.
    await waitForSsh(vm, proc, 900_000);
}

export async function stopVm(vm: VmState): Promise<void> {
    const proc = procs.get(vm.dir);
    if (proc && proc.exitCode === null) {
        await monitor(vm, "quit", 5000).catch(() => undefined);
        await new Promise<void>((r) => {
            const t = setTimeout(() => {
                proc.kill("SIGKILL");
                r();
            }, 5000);
            proc.on("exit", () => {
                clearTimeout(t);
                r();
            });
            if (proc.exitCode !== null) r();
        });
    }
    procs.delete(vm.dir);
    if (existsSync(vm.dir)) rmSync(vm.dir, { recursive: true, force: true });
}

/** Connection input for the provider, host key pinned. */
export function connectionFor(vm: Pick<VmState, "port" | "image">, user = "root"): Record<string, unknown> {
    return { host: "127.0.0.1", port: vm.port, user, privateKey: vm.image.privateKey, hostKey: vm.image.hostPublicKey, perDialTimeout: 20, dialErrorLimit: 3 };
}
