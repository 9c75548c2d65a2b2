import { existsSync, readdirSync } from 'node:fs';
import { positiveInteger } from '@difftape/nn';
import type { Command } from 'commander';
import { loadIdxDir } from '../data.js';
import { exportImages } from '../images.js';
import { numeric } from './flags.js';
import { fail } from './shared.js';

/** `export-images`: the bundled MNIST as the report's PNG folders. */
export const registerExportImages = (program: Command): void => {
  program
    .command('export-images')
    .description(
      "Write the bundled MNIST in the report's layout: <dir>/train_data/*.png, test_data/*.png, labels/{train,test}_label.txt",
    )
    .argument('<dir>', 'target folder (must be empty unless --force)')
    .option('--limit <n>', 'at most n images per split')
    .option('--force', 'replace the images and labels in a non-empty folder')
    .action(async (dir: string, flags) => {
      let limit: number | undefined;
      if (flags.limit !== undefined) {
        const n = numeric(flags.limit);
        if (typeof n !== 'number' || !positiveInteger.ok(n))
          fail(`--limit: expected ${positiveInteger.name}, got ${JSON.stringify(flags.limit)}`);
        limit = Number(n);
      }
      if (existsSync(dir) && readdirSync(dir).length > 0 && !flags.force)
        fail(`${dir} is not empty; use --force to replace its images`);
      const counts = await exportImages(loadIdxDir(), dir, {
        ...(limit && { limit }),
        force: flags.force === true,
      });
      process.stdout.write(
        `wrote ${counts.train} training and ${counts.test} test images with their labels to ${dir}\n`,
      );
    });
};
