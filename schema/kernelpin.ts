// Schema of kernelhardening:index:KernelPackagePin: kernel packages held at vetted versions with apt.
import { bool, connectionInput, SchemaFragment, str } from "./schema";

const strArray = (description: string) => ({ type: "array", items: { type: "string" }, description });
const mapOf = (type: string, description: string) => ({ type: "object", additionalProperties: { type }, description });

const kernelPinInputs = {
    connection: connectionInput,
    packages: strArray(
        "The Debian packages to pin, e.g. `[\"linux-image-cloud-amd64\", \"linux-image-6.1.0-50-cloud-amd64\"]`. Each must be installed and must be a valid Debian package name; the list is sorted, so order does not matter. Default: the kernel the host has now, that is every installed linux-image-* meta-package (on a Debian cloud image `linux-image-cloud-amd64`) and the versioned image packages it depends on (`linux-image-6.1.0-NN-cloud-amd64`), or the running kernel's image package on a host without a meta-package. The default is resolved when the resource is created and then kept: it does not follow the host.",
    ),
    version: str(
        "The version to pin every package to, in Debian version syntax (`[epoch:]upstream[-revision]`, e.g. `6.1.176-1`); apt must know it (see `apt-cache policy`), otherwise the preview fails listing the versions apt has. Default: for each package, the version installed when the resource first pins it, kept until this input changes. A version that apt knows but that is not installed is pinned and a warning tells how to install it: the hold keeps the installed one until then.",
    ),
    previewReadsHost: bool(
        "Whether `pulumi preview` reads the host: to show drift (a hold lifted by hand, the preferences file edited or removed) and to check new packages and versions against apt. Set false for offline previews; the checks then happen when the update starts, before anything is written.",
        { default: true },
    ),
};

export const kernelPackagePinSchema: SchemaFragment = {
    types: {
        "kernelhardening:index:KernelPackagePinImage": {
            type: "object",
            description: "An installed kernel image package: one that owns a /boot/vmlinuz-<release>.",
            properties: {
                package: str("The package name, e.g. `linux-image-6.1.0-50-cloud-amd64`."),
                version: str("The installed version of the package."),
                release: str("The kernel release it installs, as `uname -r` prints it when that kernel runs, e.g. `6.1.0-50-cloud-amd64`."),
            },
            required: ["package", "release"],
        },
    },
    resources: {
        "kernelhardening:index:KernelPackagePin": {
            description:
                "Keeps the kernel packages of a Debian or Ubuntu host (apt) at the versions you vetted until you move them on purpose.\n\n" +
                "Two apt mechanisms hold each package: a preferences file, /etc/apt/preferences.d/kernelhardening-kernel-pin.pref, pins the version with `Pin-Priority: 1001` (apt never selects another version as the candidate, so `apt-get install` and `apt-get upgrade` leave it alone), and `apt-mark hold` keeps it even when another version is asked for explicitly. The file is written atomically (temporary file, fsync, rename) and each is written only where it differs. After every apply the resource reads back `apt-cache policy` and `apt-mark showhold` in the same round trip and fails unless apt's candidate is the pinned version at priority 1001 and every package is on hold.\n\n" +
                "A package that is not installed, or a version apt does not know, fails with the versions apt has: at preview when the resource exists (the new inputs are checked against the host), otherwise when the update starts, before anything is written. Drift, a hold lifted with `apt-mark unhold` or the file edited or removed, shows in `pulumi preview` and is repaired by `pulumi up`. Deleting the resource removes the file and lifts the holds it set (a package that was on hold before stays on hold), nothing else. There is one such file per host, so one KernelPackagePin per host; changing the host replaces the resource. A host without apt fails with an unsupported package manager error.\n\n## Import\n\nThe id is `[user@]host:port:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref`, e.g. `root@203.0.113.10:22:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:\n\n```sh\npulumi import kernelhardening:index:KernelPackagePin NAME 'root@203.0.113.10:22:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref'\n```",
            inputProperties: kernelPinInputs,
            properties: {
                ...kernelPinInputs,
                pinnedVersions: mapOf("string", "Package -> version this resource pins. With packages or version left out, the defaults as resolved when the resource was created (or when those inputs last changed)."),
                held: mapOf("boolean", "Per pinned package: whether apt-mark showhold lists it, as observed."),
                installedVersions: mapOf("string", "Per pinned package: the version dpkg has installed, as observed; empty when it is not installed."),
                candidateVersions: mapOf("string", "Per pinned package: the version apt would install (the candidate in `apt-cache policy`). While the pin is in force it is the pinned version."),
                runningKernel: str("The running kernel's release, `uname -r`."),
                pinnedKernels: strArray("The kernel releases of the pinned image packages, pinned directly or as the dependency of a pinned meta-package, e.g. `[\"6.1.0-50-cloud-amd64\"]`."),
                rebootRequired: bool(
                    "True when the running kernel is not a pinned one: another release runs, or the same release from another build (Debian kernels name their package version in `uname -v`), so a reboot is needed to run the pinned kernel. False when nothing pinned is a kernel image.",
                ),
                unpinnedKernels: {
                    type: "array",
                    items: { $ref: "#/types/kernelhardening:index:KernelPackagePinImage" },
                    description: "Kernel image packages installed but not pinned. The boot loader may start one of them (GRUB boots the newest by default); also reported as a warning.",
                },
                pinFile: str("The path of the preferences file: /etc/apt/preferences.d/kernelhardening-kernel-pin.pref."),
                pinFileContent: str("The exact content of the preferences file on the host; empty when it is missing. A hand edit shows as a change even when apt still pins the same versions."),
                drift: mapOf(
                    "string",
                    "How the host falls short of the pins, as last observed: a package -> `not on hold` (apt-mark unhold by hand), the preferences file's path -> `missing` or `edited by hand`. Empty when apt does what the pins say; `pulumi up` repairs anything listed, and a preview shows it as the drift the update removes.",
                ),
                previouslyHeld: strArray("Pinned packages that were already on hold when this resource first pinned them; deleting the resource leaves them on hold."),
            },
            required: [
                "connection",
                "previewReadsHost",
                "pinnedVersions",
                "held",
                "installedVersions",
                "candidateVersions",
                "runningKernel",
                "pinnedKernels",
                "rebootRequired",
                "unpinnedKernels",
                "pinFile",
                "previouslyHeld",
                "drift",
            ],
        },
    },
};
