// A worker thread of a run: parses local files and judges their tokens, and counts partitions (see
// countPartition).
import { countHandler, parseAndExpandHandler } from './countPartition.ts';
import { serveRequests } from '../read/workerProtocol.ts';

serveRequests({ parse: parseAndExpandHandler, count: countHandler });
