// The post's runtime settings on a host given by config, applied live and persisted in
// /etc/sysctl.d/90-kernel-tunables.conf.
import * as pulumi from "@pulumi/pulumi";
import * as kh from "@kernelhardening/pulumi";

const cfg = new pulumi.Config();

const tunables = new kh.Sysctl("kernel-tunables", {
    connection: {
        host: cfg.require("host"),
        port: cfg.getNumber("port") ?? 22,
        user: cfg.get("user") ?? "root", // a non-root user works through `sudo -n`
        privateKey: cfg.requireSecret("privateKey"),
        hostKey: cfg.require("hostKey"),
    },
    file: "90-kernel-tunables.conf",
    comment: "Linux kernel security tunables everyone should consider adopting (Cloudflare)",
    entries: {
        "kernel.kptr_restrict": "2", // no kernel pointers for anyone: keeps KASLR meaningful
        "kernel.dmesg_restrict": "1", // the kernel log leaks pointers too
        "kernel.kexec_load_disabled": "1", // kexec_load() bypasses secure boot; one-way until reboot
        "kernel.unprivileged_bpf_disabled": "2",
        "net.core.bpf_jit_harden": "2",
    },
    allowOneWayKeys: true,
});

export const path = tunables.path;
export const previousValues = tunables.previousValues;
export const overriddenBy = tunables.overriddenBy;
