// A preload (node --import) that SIGKILLs the process inside a chosen file-system call under
// KILL_DIR: the KILL_AT-th such call ("7" kills before it, "7:torn" after writing half its data).
// With KILL_COUNT_FILE it writes, at exit, how many such calls the run made.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

const dir = process.env.KILL_DIR ? resolve(process.env.KILL_DIR) + sep : undefined;
const [atText, mode] = (process.env.KILL_AT ?? '0').split(':');
const at = Number(atText);
const original = { ...fs };
let calls = 0;
const fds = new Set();

const inDir = (p) => dir !== undefined && typeof p === 'string' && resolve(p).startsWith(dir);
const half = (data) => {
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
};
/** Counts one call; at the chosen one, optionally tears it, then dies as SIGKILL would leave it. */
const point = (tear) => {
  calls++;
  if (calls !== at) return;
  if (mode === 'torn' && tear) tear();
  process.kill(process.pid, 'SIGKILL');
};

fs.openSync = (path, flags, ...rest) => {
  const writing = typeof flags === 'string' && /[wa+]/.test(flags);
  if (writing && inDir(path)) point();
  const fd = original.openSync(path, flags, ...rest);
  if (writing && inDir(path)) fds.add(fd);
  return fd;
};
fs.writeSync = (fd, data, offset, length, ...rest) => {
  if (fds.has(fd))
    point(() => {
      const start = typeof offset === 'number' ? offset : 0;
      const n = typeof length === 'number' ? length : data.length - start;
      original.writeSync(fd, data, start, Math.floor(n / 2));
    });
  return original.writeSync(fd, data, offset, length, ...rest);
};
fs.fsyncSync = (fd) => {
  if (fds.has(fd)) point();
  return original.fsyncSync(fd);
};
fs.closeSync = (fd) => {
  fds.delete(fd);
  return original.closeSync(fd);
};
fs.renameSync = (from, to) => {
  if (inDir(to)) point();
  return original.renameSync(from, to);
};
fs.appendFileSync = (path, data, ...rest) => {
  if (inDir(path)) point(() => original.appendFileSync(path, half(data)));
  return original.appendFileSync(path, data, ...rest);
};
fs.writeFileSync = (path, data, ...rest) => {
  if (inDir(path)) point(() => original.writeFileSync(path, half(data), ...rest));
  return original.writeFileSync(path, data, ...rest);
};
for (const name of ['rmSync', 'unlinkSync'])
  fs[name] = (path, ...rest) => {
    if (inDir(path)) point();
    return original[name](path, ...rest);
  };
syncBuiltinESMExports();

if (process.env.KILL_COUNT_FILE)
  process.on('exit', () => original.writeFileSync(process.env.KILL_COUNT_FILE, String(calls)));
