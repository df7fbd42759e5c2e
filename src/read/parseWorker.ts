// A worker thread that parses local files: it reads each file itself (no bytes cross threads) and
// posts back the typed arrays of a ParsedFile by transfer.
import { parentPort } from 'node:worker_threads';
import { transferList } from './FileParser.ts';
import { parseLocalFile } from './parseLocalFile.ts';

export interface ParseRequest {
  id: number;
  path: string;
  describe: string;
}

parentPort!.on('message', async ({ id, path, describe }: ParseRequest) => {
  try {
    const parsed = await parseLocalFile(path, describe);
    parentPort!.postMessage({ id, parsed }, transferList(parsed));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id, error: code ?? message });
  }
});
