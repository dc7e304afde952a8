import { defineConfig } from "vitest/config";

export default defineConfig({
  // The playground bundles bpf/*.o with ?inline; its tests import the same modules.
  assetsInclude: ["**/*.o"],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel tests create namespaces, veths and cgroups; running files one at a time keeps
    // them from racing each other for the same kernel objects and keeps a 2-core machine usable.
    fileParallelism: false,
    reporters: ["default"],
    globalSetup: ["test/support/global-setup.ts"],
  },
});
