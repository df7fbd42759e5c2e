// A worker thread of a run: parses local files and counts partitions (see countPartition). The
// counting code (Arrow, Arquero: ~0.2 s to load) is imported at the first count, so parsing starts
// at once.
import { parseHandler, serveRequests, type WorkerHandler } from './read/workerProtocol.ts';

const countHandler: WorkerHandler = async (request) => (await import('./countPartition.ts')).countHandler(request);

serveRequests({ parse: parseHandler, count: countHandler });
