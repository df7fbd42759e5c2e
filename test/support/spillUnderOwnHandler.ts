// For test/job/memory.test.ts: a program with its own SIGINT handler (as a notebook kernel has) running a
// job that spills: node --import tsx spillUnderOwnHandler.ts ROOT OUT TEMP MEMORY. The signal is the
// program's to handle: the run goes on, and its folder is removed at its end. Prints `interrupted` when
// the handler ran, then `done`.
import { runJob } from '../../src/index.ts';

let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
const [root, out, temp, memory] = process.argv.slice(2);
await runJob({ root: root!, out, temp, memory: Number(memory) });
console.log(interrupted ? 'interrupted' : 'not interrupted');
console.log('done');
