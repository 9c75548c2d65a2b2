import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { linkTargets } from './helpers/markdown.js';
import { REPO_ROOT } from './helpers/run-cli.js';

/** Folders that hold no committed Markdown: dependencies, root run folders, generated API docs. */
const SKIP = new Set(['.git', 'node_modules', 'runs', 'docs/api']);

const markdownFiles = (dir: string): string[] =>
  readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) return SKIP.has(path) || SKIP.has(e.name) ? [] : markdownFiles(path);
    return e.name.endsWith('.md') ? [path] : [];
  });

const files = markdownFiles('');

describe('links in Markdown files', () => {
  test('the README, the design doc and the tutorial are among the files checked', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'docs/design.md', 'docs/tutorial.md']),
    );
  });

  // A relative link must name a file or folder of this repository: nothing outside it, nothing missing.
  test.each(files)('%s: every relative link resolves inside the repository', (file) => {
    const broken = linkTargets(readFileSync(join(REPO_ROOT, file), 'utf8'))
      .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
      .filter((t) => {
        const target = resolve(REPO_ROOT, dirname(file), decodeURI(t.split('#')[0]!));
        return relative(REPO_ROOT, target).startsWith('..') || !existsSync(target);
      });
    expect(broken).toEqual([]);
  });
});
