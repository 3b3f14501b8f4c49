// tsc compiles only .ts: copy the remote scripts (provider/**/*.sh) beside their compiled modules,
// and the compiled SDK beside the provider.
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
// The generated SDK is compiled by its own tsconfig (npm run build:sdk); the component loads it
// from dist/sdk/nodejs/bin, the same relative path as from the sources.
fs.cpSync(path.join(root, "sdk/nodejs/bin"), path.join(root, "dist/sdk/nodejs/bin"), { recursive: true });

// A checkout's own programs (the root Pulumi.yaml's quick start, examples/) import the SDK by its
// package name, as users do: link the compiled SDK into node_modules under that name.
const link = path.join(root, "node_modules", "@kernelhardening", "pulumi");
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.rmSync(link, { recursive: true, force: true });
fs.symlinkSync(path.join("..", "..", "sdk", "nodejs", "bin"), link);
