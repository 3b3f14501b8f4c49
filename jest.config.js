// Three projects: fast unit tests of pure logic, end-to-end tests that drive the real Pulumi CLI
// against real Debian VMs (run one at a time: they share the VM, which is restored between tests),
// and the platform matrix.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.test.json" }];
// KH_E2E_PART=b runs the files below, KH_E2E_PART=a the others, so scripts/test.sh can run the e2e
// suite as two halves side by side, each on a shared VM of its own (unset: all of them). Balanced by the
// files' times in CI (2026-12-03, a slower machine, beside the platform matrix: first half 2888 s,
// second half 3084 s, so provider-config, 176 s, moved to the first).
const PART_B = ["faults", "packaging", "sudo", "hostile", "hostile-local", "readonly-proc", "foreign-files", "fleet",
  "import", "cuts", "audit-fleet"];
const partB = `/test/e2e/(${PART_B.join("|")})\\.test\\.ts$`;
const part = process.env.KH_E2E_PART;
// Files that boot VMs of their own and never use the shared one run in the platform project's run.
const OWN_VMS = ["/test/e2e/platforms[^/]*\\.test\\.ts$", "/test/e2e/reboot\\.test\\.ts$"];
const e2eIgnore = ["/node_modules/", ...OWN_VMS];
if (part === "a") e2eIgnore.push(partB);
if (part === "b") e2eIgnore.push(`^(?!.*${partB})`);
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      setupFiles: ["<rootDir>/test/unit/env.ts"],
      modulePathIgnorePatterns: ["<rootDir>/sdk/", "<rootDir>/dist/"],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      testPathIgnorePatterns: e2eIgnore,
      modulePathIgnorePatterns: ["<rootDir>/sdk/", "<rootDir>/dist/"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
      globalTeardown: "<rootDir>/test/e2e/global-teardown.ts",
    },
    {
      // The platform matrix: the core of every resource on Debian 13 BIOS/GRUB and UEFI/systemd-boot,
      // one VM per platform file (Debian 12 is the e2e project's host).
      displayName: "platforms",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      // Reboots through GRUB on Debian 12 VMs of their own (HostReboot, examples/rolling-reboot) also run here.
      testMatch: ["<rootDir>/test/e2e/platforms*.test.ts", "<rootDir>/test/e2e/*reboot.test.ts"],
      modulePathIgnorePatterns: ["<rootDir>/sdk/", "<rootDir>/dist/"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
    },
  ],
};
