// A worker thread that stops by itself (exit code 3) on its first request, as a crashed one would,
// without an 'error' event: a pool's test script.
import { parentPort } from 'node:worker_threads';

parentPort.once('message', () => process.exit(3));
