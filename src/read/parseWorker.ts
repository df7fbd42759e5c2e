// A worker thread that parses local files: it reads each file itself (no bytes cross threads) and
// posts back the typed arrays of a ParsedFile by transfer.
import { eachInGroup, parseHandler, serveRequests } from './workerProtocol.ts';

serveRequests({ parse: eachInGroup(parseHandler) });
