import { defineProject } from 'vitest/config';

// Inside the Tessera repository the packages are resolved to their TypeScript sources through
// the `@tessera/source` export condition. A plugin published outside the repository needs
// nothing of this: it resolves the built `@tessera/core` from npm.
export default defineProject({
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
