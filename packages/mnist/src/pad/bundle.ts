import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles the pad's page script with @difftape/core and @difftape/nn for the browser (minified ESM). */
export const bundlePad = async (): Promise<string> => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    // From the repository's sources (tsx), resolve the packages' sources too, so no build is needed;
    // an installed package resolves the other packages' dist as usual.
    conditions: import.meta.url.endsWith('.ts') ? ['@difftape/source'] : [],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
};
