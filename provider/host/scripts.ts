// Remote scripts are real .sh files beside the code that runs them, so shellcheck and the script
// tests read exactly what hosts run. Each script sent to a host is the shared prelude followed by
// the named files, read once; every one is a constant (data only ever arrives on stdin).
import { readFileSync } from "fs";
import { join } from "path";

const cache = new Map<string, string>();

function read(path: string): string {
    let text = cache.get(path);
    if (text === undefined) {
        text = readFileSync(path, "utf8");
        cache.set(path, text);
    }
    return text;
}

/** The prelude (provider/host/prelude.sh) then `dir/name` for each name, as one script. */
export function shellScript(dir: string, ...names: string[]): string {
    return [join(__dirname, "prelude.sh"), ...names.map((n) => join(dir, n))].map(read).join("\n");
}
