// The evaluation worker's entry when running from the TypeScript sources (tsx, vitest): node 20
// gives a worker none of its parent's loader hooks, so it registers tsx itself first.
import { register } from 'tsx/esm/api';

register();
await import('./eval-worker.ts');
