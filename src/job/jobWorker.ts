// A worker thread of a run: parses local files and judges their tokens (splitting their ids into lane
// shares), deduplicates its lanes, and counts partitions (see workerHandlers.ts), or builds a partition's
// events table; or runs a run's tasks
// (a run under a memory budget, `openThreadSession`).
import { eachInGroup, serveRequests } from '../read/workerProtocol.ts';
import { countHandler, countShardHandler, dedupHandler, eventsHandler, parseAndExpandHandler, taskHandler } from './workerHandlers.ts';

serveRequests({ parse: eachInGroup(parseAndExpandHandler), dedup: dedupHandler, count: countHandler, countShard: countShardHandler, events: eventsHandler, task: taskHandler });
