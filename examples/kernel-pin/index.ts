// Keep the kernel you vetted: an apt preferences pin (priority 1001) and `apt-mark hold` for the
// kernel image meta-package and the versioned image it depends on, at the version installed now.
import * as pulumi from "@pulumi/pulumi";
import * as kh from "@kernelhardening/pulumi";

const cfg = new pulumi.Config();

const pin = new kh.KernelPackagePin("kernel", {
    connection: {
        host: cfg.require("host"),
        port: cfg.getNumber("port") ?? 22,
        user: cfg.get("user") ?? "root",
        privateKey: cfg.requireSecret("privateKey"),
        hostKey: cfg.require("hostKey"),
    },
    // packages: ["linux-image-cloud-amd64"], version: "6.1.170-1",  // defaults: what is installed now
});

export const pinned = pin.pinnedVersions;
export const running = pin.runningKernel;
export const rebootRequired = pin.rebootRequired;
export const unpinnedKernels = pin.unpinnedKernels;
