import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The user's-eye tests (build, pack, npm install, run): `pnpm test:package`, kept out of `pnpm test`. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/package/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
