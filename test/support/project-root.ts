import { fileURLToPath } from 'node:url';

/** The repository root, for tests that spawn the CLI or the local cell (`cells/local/main.ts`). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
