import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('browser bundle', () => {
  it('bundles for a browser with @parley/core/protocol inlined and no Node built-in', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, logLevel: 'silent', conditions: ['source'] });
    const code = result.outputFiles[0]!.contents;
    const text = new TextDecoder().decode(code);
    expect(text).not.toMatch(/from ?["']node:|require\(["']node:|\bBuffer\./);
    const gzip = gzipSync(code, { level: 9 }).length;
    console.info(`@parley/client browser bundle: ${(code.length / 1024).toFixed(1)} KiB minified, ${(gzip / 1024).toFixed(1)} KiB gzip`);
    // A budget catches an accidental import of something large (all of zod is 90 KiB gzip).
    expect(gzip).toBeLessThan(30 * 1024);
  });
});
