// Construct uses four functions of @pulumi/pulumi that its typings do not export (the SDK's own
// provider server uses them). This fails when an upgrade of the pinned SDK moves or drops one.
import { readFileSync } from "fs";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { sdkInternals } from "../../provider/protocol/construct";

test("the SDK internals Construct relies on are there, at the pinned SDK version", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8"));
    expect(pkg.dependencies["@pulumi/pulumi"]).toMatch(/^\d+\.\d+\.\d+$/);
    const sdk = sdkInternals();
    expect(
        Object.entries(sdk)
            .filter(([, f]) => typeof f !== "function")
            .map(([k]) => k),
    ).toEqual([]);
    // The public API the rest of it uses.
    for (const f of [
        pulumi.runtime.resetOptions,
        pulumi.runtime.setAllConfig,
        pulumi.runtime.serializeResourceProperties,
    ]) {
        expect(typeof f).toBe("function");
    }
});

test("withLocalStorage runs the callback in its own runtime state and returns its result", async () => {
    expect(await sdkInternals().withLocalStorage(async () => 42)).toBe(42);
});
