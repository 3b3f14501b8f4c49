// Schema of the ModuleBlocklist resource.
import { SchemaFragment, connectionInput, str, bool } from "./schema";

const strList = (description: string) => ({ type: "array", items: { type: "string" }, description });

const inputs = {
    connection: connectionInput,
    modules: strList("Kernel modules that may not be loaded, e.g. `[\"cramfs\", \"udf\", \"dccp\"]`. `-` and `_` are the same to modprobe; names are stored with `_`, sorted."),
    file: str("File name under /etc/modprobe.d. Changing it replaces the resource.", { default: "90-kernelhardening-blocklist.conf" }),
    previewReadsHost: bool("Whether `pulumi preview` reads the host to show drift. Set false for offline previews.", { default: true }),
};

export const modulesSchema: SchemaFragment = {
    resources: {
        "kernelhardening:index:ModuleBlocklist": {
            description:
                "Kernel modules that may not be loaded: one /etc/modprobe.d file with `blacklist <module>` (no loading by alias, e.g. on hotplug) and `install <module> /bin/false` (no explicit `modprobe`, no loading as a dependency) for each, written atomically. A blocked module that is loaded now stays loaded until it is unloaded or the host reboots: it is reported in `loadedBlocked` and as a warning. Deleting the resource removes the file. Loading by path with `insmod` is not covered by modprobe.d: Lockdown and module signature enforcement are the controls for that.\n\n## Import\n\nThe id is `[user@]host:port:/etc/modprobe.d/NAME.conf`, e.g. `root@203.0.113.10:22:/etc/modprobe.d/90-kernelhardening-blocklist.conf`. The import reads the host with the provider's `connection` (`kernelhardening:connection` in the stack config, or the `connection` of an explicit provider), its host, port and user taken from the id:\n\n```sh\npulumi import kernelhardening:index:ModuleBlocklist NAME 'root@203.0.113.10:22:/etc/modprobe.d/90-kernelhardening-blocklist.conf'\n```",
            inputProperties: inputs,
            requiredInputs: ["modules"],
            properties: {
                ...inputs,
                path: str("Full path of the file."),
                fileContent: str("The exact content of the file on the host; empty when it is missing."),
                blocked: strList("Modules the file on the host blocks (both lines present), as last read."),
                loadedBlocked: strList("Blocked modules that are loaded now."),
            },
            required: ["connection", "modules", "file", "previewReadsHost", "path", "blocked", "loadedBlocked"],
        },
    },
};
