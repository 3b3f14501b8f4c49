// Schema of the ModuleBlocklist resource: its outputs (the inputs come from the model).
import { BlocklistInputsSchema } from "../provider/resources/modules/model";
import { arrayOf, ResourceDef, str, importSection } from "./outputs";

const strList = (description: string) => arrayOf("string", description);

export const modulesSchema: ResourceDef = {
    token: "kernelhardening:index:ModuleBlocklist",
    inputs: BlocklistInputsSchema,
    description:
        "Kernel modules that may not be loaded: one /etc/modprobe.d file with `blacklist <module>` (no loading by alias, e.g. on hotplug) and `install <module> /bin/false` (no explicit `modprobe`, no loading as a dependency) for each, written atomically. A blocked module that is loaded now stays loaded until it is unloaded or the host reboots: it is reported in `loadedBlocked` and as a warning. Deleting the resource removes the file. Loading by path with `insmod` is not covered by modprobe.d: Lockdown and module signature enforcement are the controls for that." +
        importSection("kernelhardening:index:ModuleBlocklist", "[user@]host:port:/etc/modprobe.d/NAME.conf", "root@203.0.113.10:22:/etc/modprobe.d/90-kernelhardening-blocklist.conf"),
    outputs: {
        path: str("Full path of the file."),
        fileContent: str("The exact content of the file on the host; empty when it is missing."),
        blocked: strList("Modules the file on the host blocks (both lines present), as last read."),
        loadedBlocked: strList("Blocked modules that are loaded now."),
    },
    required: ["connection", "modules", "file", "previewReadsHost", "path", "blocked", "loadedBlocked"],
};
