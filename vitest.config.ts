import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["model/**/*.test.ts", "scripts/**/*.test.ts"],
    // Training/export tests call PyTorch; give them room on a 2-core box.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
