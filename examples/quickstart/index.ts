// One declaration hardens a host: the post's runtime settings, Lockdown integrity (persisted across
// reboots), module signatures enforced as on Cloudflare's kernel, and an audit of the kernel afterwards.
//   pulumi config set host 203.0.113.10; pulumi config set --secret privateKey < ~/.ssh/id_ed25519
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 203.0.113.10 | cut -d' ' -f2-)"
import * as pulumi from "@pulumi/pulumi";
import * as kh from "@kernelhardening/pulumi";

const cfg = new pulumi.Config();
const connection: kh.types.input.ConnectionArgs = {
    host: cfg.require("host"),
    port: cfg.getNumber("port") ?? 22,
    user: cfg.get("user") ?? "root",
    privateKey: cfg.requireSecret("privateKey"),
    hostKey: cfg.require("hostKey"),
};

const hardening = new kh.KernelHardening("web-1", {
    connection,
    profile: cfg.get<kh.types.enums.Profile>("profile") ?? kh.types.enums.Profile.Baseline,
    // kexec_load_disabled, Lockdown and module.sig_enforce cannot be undone before a reboot: say so explicitly.
    allowOneWay: true,
    // Persisted on the kernel command line and, with allowOneWay, raised at once through
    // /sys/module/module/parameters/sig_enforce: unsigned modules are refused before any reboot.
    kernelCmdline: { "module.sig_enforce": "1" },
});

export const sysctls = hardening.sysctlEntries;
export const lockdown = hardening.lockdownLevel;
export const bootParameters = hardening.bootParameters;
export const rebootRequired = hardening.rebootRequired;
export const unsupportedKeys = hardening.unsupportedKeys;
export const audit = hardening.auditSummary;
