import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { collectPageProblems, launchChromium } from '../browser/chromium.js';

/** A browser bundle and its sizes. */
export interface Bundle {
  readonly code: string;
  readonly minBytes: number;
  readonly gzipBytes: number;
}

/** Bundles `entry` (resolved in `dir`'s node_modules) for the browser, minified, with no shims. */
export const bundleForBrowser = async (dir: string, entry: string): Promise<Bundle> => {
  const result = await build({
    absWorkingDir: dir,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild wrote no output for ${entry}`);
  return {
    code: file.text,
    minBytes: file.contents.length,
    gzipBytes: gzipSync(file.contents, { level: 9 }).length,
  };
};

const ORIGIN = 'http://difftape.test';

/**
 * Opens a page in headless Chromium that loads `bundle` as a module from a served origin, where
 * `files` (path → bytes) can be fetched, and returns what `script` evaluates to in it.
 */
export const runInChromium = async <T>(
  bundle: string,
  files: Record<string, Uint8Array>,
  script: string,
): Promise<T> => {
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    const errors = collectPageProblems(page);
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/')
        return route.fulfill({
          contentType: 'text/html',
          body: '<!doctype html><script type="module" src="/bundle.js"></script>',
        });
      if (path === '/bundle.js')
        return route.fulfill({ contentType: 'text/javascript', body: bundle });
      const body = files[path];
      if (body === undefined) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ contentType: 'application/octet-stream', body: Buffer.from(body) });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction('typeof globalThis.runDifftape === "function"', undefined, {
      timeout: 60_000,
    });
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    return (await page.evaluate(script)) as T;
  } finally {
    await close();
  }
};
