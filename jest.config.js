// Three projects: fast unit tests of pure logic, end-to-end tests that drive the real Pulumi CLI
// against real Debian VMs (run one at a time: they share the VM, which is restored between tests),
// and the platform matrix.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.test.json" }];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "/test/e2e/platforms[^/]*\\.test\\.ts$"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
      globalTeardown: "<rootDir>/test/e2e/global-teardown.ts",
    },
    {
      // The platform matrix: the core of every resource on Debian 13 BIOS/GRUB and UEFI/systemd-boot,
      // one VM per platform file (Debian 12 is the e2e project's host).
      displayName: "platforms",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/e2e/platforms*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
    },
  ],
};
