#!/usr/bin/env node
// `invoice-ops`: the operations CLI. The sources are TypeScript, run through tsx's ESM loader, so
// the CLI needs no build step and always matches the checked-out code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../scripts/ops/cli.ts');
await main();
