import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs with apt when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet headless Chromium in a container (see DEVELOPERS.md). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context in a fresh profile folder, and a function that closes it and removes the folder. */
export const launchChromium = async (): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const profile = mkdtempSync(join(tmpdir(), 'difftape-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};

/** Collects the page's console errors and uncaught exceptions, which a test expects to stay empty. */
export const collectPageProblems = (page: Page): string[] => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
};

/** Where browser tests leave their screenshots (ignored by git). */
export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
