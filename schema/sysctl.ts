// Schema of kernelhardening:index:Sysctl: its outputs (the inputs come from the model).
import { SysctlObject } from "../provider/resources/sysctl/model";
import { typeRef } from "./convert";
import { mapOf, ResourceDef, str, importSection } from "./outputs";

export const sysctlSchema: ResourceDef = {
    token: "kernelhardening:index:Sysctl",
    inputs: SysctlObject,
    description:
        "One drop-in file under /etc/sysctl.d holding many kernel parameters, applied live and persisted.\n\nValues are set live first and read back; a key the kernel rejects fails the update with the kernel's reason, keys already set are restored, and nothing is written to the file, so a rejected value never breaks the next boot's `sysctl --system`. The file is written atomically (temporary file, fsync, rename). Drift, a value changed by `sysctl -w` or a hand-edited file, shows in `pulumi preview` and is corrected by `pulumi up`. Deleting the resource removes the file and restores, live, the value each key had before the resource first set it. Another sysctl.d file that would win at boot is reported in `overriddenBy` and as a warning." +
        importSection("kernelhardening:index:Sysctl", "[user@]host:port:/etc/sysctl.d/NAME.conf", "root@203.0.113.10:22:/etc/sysctl.d/90-hardening.conf"),
    outputTypes: {
        SysctlOverride: {
            type: "object",
            description: "A file that sets a managed key after this resource's drop-in at boot, so its value wins at the next boot.",
            properties: {
                key: str("The sysctl key."),
                file: str("The file whose assignment wins at boot."),
                value: str("The value that file sets."),
            },
            required: ["key", "file", "value"],
        },
    },
    outputs: {
        entries: mapOf("string", "Per managed key, the value found on the host where it differs from the desired one (the live value first, then the file's), otherwise the desired value."),
        path: str("Full path of the drop-in file."),
        liveValues: mapOf("string", "The live value of each managed key, as read from /proc/sys after the last apply or refresh."),
        fileContent: str("The exact content of the drop-in file on the host; empty when the file is missing."),
        previousValues: mapOf("string", "The value each key had before this resource first set it; restored when the resource is deleted."),
        overriddenBy: {
            type: "array",
            items: { $ref: typeRef("SysctlOverride") },
            description: "Files applied after this drop-in at boot that set a managed key to another value.",
        },
    },
    required: ["connection", "file", "entries", "path", "liveValues", "previousValues", "overriddenBy", "allowOneWayKeys", "previewReadsHost"],
};
