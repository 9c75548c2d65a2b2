import { SingleBar } from 'cli-progress';
import type { EpochRecord } from './run/metrics.js';
import type { TrainHooks } from './train.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** A learning rate to three significant digits: 0.05, 0.0473, 1.2e-7. */
export const formatRate = (lr: number): string => String(Number(lr.toPrecision(3)));

/** Options of `progressHooks`. */
export interface ProgressOptions {
  /** Where progress goes; stderr by default. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Show the current learning rate (when a schedule changes it). */
  readonly showRate?: boolean;
}

/** One line summing up an epoch: losses and top-1 on both splits. */
export const epochLine = (r: EpochRecord, epochs: number): string =>
  `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  ` +
  `train loss ${r.train.loss.toFixed(4)} top-1 ${pct(r.train.top1)}  ` +
  `test loss ${r.test.loss.toFixed(4)} top-1 ${pct(r.test.top1)}` +
  (r.epoch > 0 ? `  (${r.seconds.toFixed(1)} s)` : '  (before training)');

/**
 * Training progress on stderr: a live bar per epoch on a terminal, one plain line per epoch
 * otherwise (logs, CI, pipes). Stdout stays free for the table or `--json`.
 */
export const progressHooks = (
  epochs: number,
  options: ProgressOptions = {},
): TrainHooks & { stop(): void } => {
  const { stream = process.stderr, showRate = false } = options;
  const live = stream.isTTY === true;
  let bar: SingleBar | undefined;
  let lossAvg = Number.NaN;
  let rate = Number.NaN;
  const rateText = () => (showRate && !Number.isNaN(rate) ? ` | lr ${formatRate(rate)}` : '');
  return {
    onEpochStart: (epoch, steps, first) => {
      if (!live) return;
      lossAvg = Number.NaN;
      bar = new SingleBar({
        stream,
        format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | batch loss {loss}{lr} | {duration_formatted} elapsed, eta {eta_formatted}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 200,
      });
      bar.start(steps, first, { loss: '-', lr: rateText() });
    },
    onStep: (_epoch, done, loss, lr) => {
      rate = lr;
      if (!bar) return;
      lossAvg = Number.isNaN(lossAvg) ? loss : 0.98 * lossAvg + 0.02 * loss;
      if (done % 10 === 0) bar.update(done, { loss: lossAvg.toFixed(4), lr: rateText() });
    },
    onEpochEnd: (record) => {
      bar?.stop();
      bar = undefined;
      // The rate of the epoch's last step; epoch 0 (before training) has none yet.
      const shown =
        record.epoch > 0 && showRate && !Number.isNaN(rate) ? `  lr ${formatRate(rate)}` : '';
      stream.write(`${epochLine(record, epochs)}${shown}\n`);
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
};
