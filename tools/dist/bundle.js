// Bundles the provider (provider/main.ts with its production dependencies and the compiled SDK the
// component uses) into one CommonJS file for the plugin tarball: node_modules is not shipped.
//   node tools/dist/bundle.js OUT_DIR
// Remote scripts are files read at run time from each module's own folder (provider/host/scripts.ts):
// in a bundle every module shares the bundle's folder, so each module's __dirname is rewritten to
// OUT_DIR/<its folder in the repository>, and the .sh files are copied there.
const esbuild = require("esbuild");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "../..");
const out = path.resolve(process.argv[2] ?? path.join(root, "dist/plugin"));

const perModuleDirname = {
    name: "per-module-dirname",
    setup(build) {
        build.onLoad({ filter: /[\\/]provider[\\/].*\.ts$/ }, (args) => {
            const rel = path.relative(root, path.dirname(args.path)).split(path.sep).join("/");
            const text = fs.readFileSync(args.path, "utf8");
            return {
                contents: text.replace(/\b__dirname\b/g, `require("path").join(__dirname, ${JSON.stringify(rel)})`),
                loader: "ts",
            };
        });
    },
};

// @pulumi/pulumi's runtime requires its closure serializer when it loads, and that requires the
// TypeScript compiler and npm's Arborist: 5 of the bundle's 7.2 MiB, and 11 MB of each provider
// process's memory. The provider never serializes a function (the component's Construct only
// registers resources), so they are left out: a module in their place says so if anything uses them.
const leaveOutClosureSerializerDeps = {
    name: "leave-out-closure-serializer-deps",
    setup(build) {
        build.onResolve({ filter: /^(typescript|@npmcli\/arborist)$/ }, (args) => ({ path: args.path, namespace: "closure-only" }));
        build.onLoad({ filter: /.*/, namespace: "closure-only" }, (args) => ({
            contents: `const fail = () => { throw new Error(${JSON.stringify(
                `${args.path} is not in the provider's bundle (only Pulumi's function serialization uses it)`,
            )}); };
module.exports = new Proxy({}, { get: (_t, k) => (k === "__esModule" || typeof k === "symbol" ? undefined : fail()) });`,
            loader: "js",
        }));
    },
};

function copyScripts(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) copyScripts(p);
        else if (e.name.endsWith(".sh")) {
            const dest = path.join(out, path.relative(root, p));
            fs.mkdirSync(path.dirname(dest), { recursive: true });
            fs.copyFileSync(p, dest);
        }
    }
}

async function main() {
    fs.mkdirSync(out, { recursive: true });
    const result = await esbuild.build({
        entryPoints: [path.join(root, "provider/main.ts")],
        outfile: path.join(out, "provider.js"),
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        minify: true,
        legalComments: "linked",
        metafile: true,
        logLevel: "warning",
        // ssh2 falls back to pure JavaScript without its optional native add-ons (a try around the require).
        external: ["*.node"],
        plugins: [perModuleDirname, leaveOutClosureSerializerDeps],
    });
    copyScripts(path.join(root, "provider"));
    fs.copyFileSync(path.join(root, "schema.json"), path.join(out, "schema.json"));
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    console.error(`bundled provider: ${(bytes / 1048576).toFixed(1)} MiB`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
