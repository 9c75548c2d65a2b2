/**
 * Saves a full-page screenshot of a run's report.html:
 * `node --import tsx test/browser/screenshot.ts <run-dir> <out.png>`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectPageProblems, launchChromium } from './chromium.js';

const [runDir, out] = process.argv.slice(2);
if (!runDir || !out) {
  console.error('usage: node --import tsx test/browser/screenshot.ts <run-dir> <out.png>');
  process.exit(2);
}
const { context, close } = await launchChromium();
try {
  const page = await context.newPage();
  const problems = collectPageProblems(page);
  await page.goto(pathToFileURL(resolve(runDir, 'report.html')).href);
  const charts = await page.$$eval('figure', (figs) => figs.map((f) => f.id));
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${out}: figures ${charts.join(', ')}; page problems: ${problems.length}`);
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await close();
}
