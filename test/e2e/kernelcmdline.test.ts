// KernelCmdline end to end on the shared Debian 12 VM (restored from its snapshot per test; the
// reboots are in reboot.test.ts): persisted through the guest's GRUB, applied live with the
// one-way opt-in, drift, other drop-ins that win, and bad input at preview.
import { readFileSync } from "fs";
import { resolve } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec, setResources } from "./shared";

jest.setTimeout(600_000);

const TOKEN = "kernelhardening:index:KernelCmdline";
const DROPIN = "/etc/default/grub.d/90-kernelhardening-cmdline.cfg";
const UNSIGNED_SCRIPT = readFileSync(resolve(__dirname, "../../scripts/guest/unsigned-module.sh"), "utf8");

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

function kcl(parameters: Record<string, string>, extra: Record<string, unknown> = {}): ResourceSpec {
    return { type: "KernelCmdline", name: "cmdline", args: { parameters, ...extra } };
}

async function grubLinuxLines(): Promise<string[]> {
    return (await sh(vm, "grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg")).trim().split("\n");
}

test("with the one-way opt-in and no reboot: unsigned modules are refused right after up; persisted through GRUB; a second up changes nothing", async () => {
    const [signed, unsigned, name] = (await sh(vm, "sh -s", { stdin: UNSIGNED_SCRIPT })).trim().split(" ");
    expect((await sshExec(vm, `insmod ${unsigned}`)).code).toBe(0);
    await sh(vm, `rmmod ${name}`);

    stack = await newStack(connectionFor(vm), [kcl({ "module.sig_enforce": "1", slab_nomerge: "" }, { allowOneWay: true })]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/\+ 2 created/);

    // Raised at run time, not booted: the running kernel's command line never had it.
    expect(await sh(vm, "cat /sys/module/module/parameters/sig_enforce")).toBe("Y\n");
    expect(await sh(vm, "cat /proc/cmdline")).not.toMatch(/sig_enforce/);
    const refused = await sshExec(vm, `insmod ${unsigned}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Key was rejected by service/);
    expect(await sh(vm, "dmesg | tail -n 5")).toMatch(/Loading of unsigned module is rejected/);
    await sh(vm, `insmod ${signed} && rmmod ${name}`);

    expect(await sh(vm, `cat ${DROPIN}`)).toBe(
        "# Managed by Pulumi (kernelhardening:index:KernelCmdline). Removed when the resource is deleted;\n" +
            "# run update-grub after editing it by hand.\n" +
            'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX module.sig_enforce=1 slab_nomerge"\n',
    );
    expect(await sh(vm, `stat -c '%a %U' ${DROPIN}; ls -a /etc/default/grub.d`)).toMatch(/^644 root\n(.|\n)*init-select\.cfg/);
    for (const line of await grubLinuxLines()) expect(line).toMatch(/ console=ttyS0 net\.ifnames=0 module\.sig_enforce=1 slab_nomerge\b/);

    const outs = await stack.outputsOf(TOKEN, "cmdline");
    expect(outs).toMatchObject({
        persistence: "grub",
        persistedIn: DROPIN,
        persisted: { "module.sig_enforce": "1", slab_nomerge: "" },
        nextBoot: { "module.sig_enforce": "1", slab_nomerge: "" },
        inForce: {},
        live: { "module.sig_enforce": "1" },
        // sig_enforce is in force live; slab_nomerge has to wait for the boot
        pendingReboot: ["slab_nomerge"],
        rebootRequired: true,
        overriddenBy: [],
    });

    const mtime = await sh(vm, `stat -c %Y.%y /boot/grub/grub.cfg ${DROPIN}`);
    const again = await stack.up();
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created|deleted/);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    expect(await sh(vm, `stat -c %Y.%y /boot/grub/grub.cfg ${DROPIN}`)).toBe(mtime);

    // Delete removes only our drop-in; signature enforcement stays on until a reboot, and says so.
    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect(destroy.output).toMatch(/module signature enforcement stays on until the host reboots/);
    expect(await sh(vm, "ls /etc/default/grub.d")).toBe("init-select.cfg\n");
    for (const line of await grubLinuxLines()) expect(line).not.toMatch(/sig_enforce|slab_nomerge/);
});

test("drift: the boot configuration edited by hand shows in preview and up restores it; another drop-in that wins is reported", async () => {
    stack = await newStack(connectionFor(vm), [kcl({ "module.sig_enforce": "1" })]);
    expect((await stack.up()).code).toBe(0);
    // Without the opt-in nothing changes at run time: the parameter waits for the reboot.
    expect(await sh(vm, "cat /sys/module/module/parameters/sig_enforce")).toBe("N\n");
    expect(await stack.outputsOf(TOKEN, "cmdline")).toMatchObject({ pendingReboot: ["module.sig_enforce"], rebootRequired: true, live: { "module.sig_enforce": "0" } });

    await sh(vm, `rm ${DROPIN} && update-grub 2>/dev/null`);
    const pre = await stack.preview();
    expect(pre.code).toBe(0);
    expect(pre.output).toMatch(/persisted/);
    expect(pre.output).toMatch(/90-kernelhardening-cmdline\.cfg does not give the next boot module\.sig_enforce/);
    const fix = await stack.up();
    expect(fix.code).toBe(0);
    expect(fix.output).toMatch(/~ 1 updated/);
    for (const line of await grubLinuxLines()) expect(line).toMatch(/ module\.sig_enforce=1\b/);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);

    // Someone else's drop-in, sourced after ours, sets it back to 0: the next boot would see 0.
    await sh(vm, `printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX module.sig_enforce=0"\\n' > /etc/default/grub.d/99-local.cfg && update-grub 2>/dev/null`);
    const refreshed = await stack.run(["refresh", "--yes", "--stack", stack.name]);
    expect(refreshed.code).toBe(0);
    expect(refreshed.output).toMatch(/module\.sig_enforce: \/etc\/default\/grub\.d\/99-local\.cfg sets it to "0", which is what the next boot's kernel sees/);
    expect(await stack.outputsOf(TOKEN, "cmdline")).toMatchObject({
        nextBoot: { "module.sig_enforce": "0" },
        overriddenBy: [{ name: "module.sig_enforce", file: "/etc/default/grub.d/99-local.cfg", value: "0" }],
    });
    // Theirs is left alone on delete.
    expect((await stack.destroy()).code).toBe(0);
    expect(await sh(vm, "ls /etc/default/grub.d")).toBe("99-local.cfg\ninit-select.cfg\n");
});

test("bad input fails at preview naming the property, before any host is contacted", async () => {
    stack = await newStack({ ...connectionFor(vm), port: 1 }, [kcl({ "--": "", "a": 'x" init=/bin/sh' })]);
    const pre = await stack.preview();
    expect(pre.code).not.toBe(0);
    expect(pre.output).toMatch(/parameters\["--"\]: "--" is not a kernel parameter name/);
    expect(pre.output).toMatch(/parameters\.a: must not contain "\\""/);
    expect(pre.output).not.toMatch(/connection refused|127\.0\.0\.1:1\b/);
    await setResources(stack, [kcl({ lockdown: "integrity" })]);
    expect((await stack.preview()).output).toMatch(/parameters\.lockdown: lockdown is managed by the Lockdown resource/);
});
