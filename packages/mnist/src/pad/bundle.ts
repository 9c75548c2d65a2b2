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
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
};
