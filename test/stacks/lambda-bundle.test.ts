import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BundleError,
  bundledLambdaCode,
  bundleHandler,
  esbuildTarget,
  HANDLER_ENTRIES,
} from '../../stacks/lambda-bundle.js';
import { LAMBDA_RUNTIME } from '../../stacks/lambda-code.js';

describe('lambda bundling', () => {
  let outRoot: string;

  beforeAll(() => {
    outRoot = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  });

  afterAll(() => {
    rmSync(outRoot, { recursive: true, force: true });
  });

  describe('esbuildTarget', () => {
    it('targets the Node version of the Lambda runtime', () => {
      expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
      expect(esbuildTarget()).toBe('node24');
      expect(esbuildTarget(lambda.Runtime.NODEJS_20_X)).toBe('node20');
    });

    it('refuses a runtime that is not Node.js', () => {
      expect(() => esbuildTarget(lambda.Runtime.PYTHON_3_13)).toThrow(BundleError);
    });
  });

  describe('bundleHandler', () => {
    it('bundles each handler into one minified ESM index.mjs with a source map', () => {
      for (const [name, entry] of Object.entries(HANDLER_ENTRIES)) {
        // Act
        const dir = bundleHandler(entry, name, outRoot);
        const code = readFileSync(join(dir, 'index.mjs'), 'utf8');

        // Assess
        expect(code.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
        expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
        expect(code).toContain('//# sourceMappingURL=index.mjs.map');
        expect(statSync(join(dir, 'index.mjs.map')).size).toBeGreaterThan(0);
      }
    });

    it('builds a handler once per process and reuses the directory', () => {
      // Prepare
      const first = bundleHandler(HANDLER_ENTRIES.relay, 'relay', outRoot);
      const builtAt = statSync(join(first, 'index.mjs')).mtimeMs;

      // Act
      const second = bundleHandler(HANDLER_ENTRIES.relay, 'relay', outRoot);

      // Assess
      expect(second).toBe(first);
      expect(statSync(join(second, 'index.mjs')).mtimeMs).toBe(builtAt);
    });

    it('names the missing entry when a handler file does not exist', () => {
      expect(() => bundleHandler('consumers/aws/lambda/nope.ts', 'nope', outRoot)).toThrow(
        'lambda entry consumers/aws/lambda/nope.ts does not exist',
      );
    });
  });

  describe('bundledLambdaCode', () => {
    it('hands out a new asset Code per call (assets bind to one stack)', () => {
      // Act
      const code = bundledLambdaCode(outRoot);
      const a = code.processor();
      const b = code.processor();

      // Assess
      expect(a).toBeInstanceOf(lambda.AssetCode);
      expect(a).not.toBe(b);
      expect((a as lambda.AssetCode).path).toBe(join(outRoot, 'processor'));
    });
  });
});
