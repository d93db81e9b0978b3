import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CDK synth and local-cell integration tests spawn work; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/cdk-outdir-root.ts'],
    setupFiles: ['test/setup/cdk-outdir.ts'],
  },
});
