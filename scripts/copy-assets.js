// tsc compiles only .ts: copy the remote scripts (provider/**/*.sh) beside their compiled modules.
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".sh")) {
            const dest = path.join(root, "dist", path.relative(root, p));
            fs.mkdirSync(path.dirname(dest), { recursive: true });
            fs.copyFileSync(p, dest);
        }
    }
}
walk(path.join(root, "provider"));
