import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundlePad } from './bundle.js';
import { classifierFromBytes } from './classifier.js';
import { padHtml } from './html.js';

/** The pad's default port (Vite's), and how many next ports to try when it is taken. */
export const DEFAULT_PORT = 5173;
const TRIES = 20;

/** A running pad server. */
export interface PadServer {
  readonly url: string;
  readonly port: number;
  readonly bundleBytes: number;
  readonly close: () => Promise<void>;
}

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });

/**
 * Serves the digit pad for the checkpoint at `checkpoint` on 127.0.0.1: `/` the page, `/pad.js`
 * the bundle, `/checkpoint.safetensors` the bytes. The checkpoint is decoded once here first, so a
 * bad file fails before anything is served. With `exactPort` false, a taken port moves to the next.
 */
export const startPadServer = async (
  checkpoint: string,
  port = DEFAULT_PORT,
  exactPort = false,
): Promise<PadServer> => {
  const bytes = readFileSync(checkpoint);
  classifierFromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), checkpoint);
  const script = await bundlePad();
  const html = padHtml(checkpoint);
  const routes: Record<string, [string, string | Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/pad.js': ['text/javascript; charset=utf-8', script],
    '/checkpoint.safetensors': ['application/octet-stream', bytes],
  };
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://127.0.0.1').pathname];
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': route[0], 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : route[1]);
  });
  let bound: number | undefined;
  for (let p = port; bound === undefined; p++) {
    try {
      bound = await listen(server, p);
    } catch (e) {
      const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || exactPort || port === 0 || p >= port + TRIES - 1)
        throw new Error(
          inUse
            ? `port ${exactPort ? p : `${port}..${p}`} ${exactPort ? 'is' : 'are all'} in use on 127.0.0.1`
            : `cannot listen on 127.0.0.1:${p}: ${(e as Error).message}`,
        );
    }
  }
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    bundleBytes: Buffer.byteLength(script),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};
