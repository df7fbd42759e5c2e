export { ConsentMetricsError } from './errors.ts';

export type { Source } from './source/Source.ts';
export { localSource } from './source/localSource.ts';
export { openSource } from './source/openSource.ts';
export { s3Source } from './source/s3Source.ts';

export { createS3Client, type S3Options } from './s3/createS3Client.ts';
export { parseS3Url, isS3Url, type S3Location } from './s3/parseS3Url.ts';

export { datehourFromFolder, parseDatehour } from './partitions/parseDatehour.ts';
export { selectPartitions, type Partition, type PartitionSelection, type SelectedPartitions } from './partitions/selectPartitions.ts';

export { readPartitions, type PartitionEvents, type ReadOptions } from './read/readPartitions.ts';
export { readPartition } from './read/readPartition.ts';
export { readEventFile } from './read/readEventFile.ts';
export { EVENT_TYPES, type EventType } from './read/EventColumns.ts';

export { expandToken, TOKEN_COLUMNS, type ExpandOptions } from './expand/expandToken.ts';
export { parseToken, type TokenFacts } from './expand/parseToken.ts';

export { computeMetrics, METRIC_COLUMNS, GROUP_KEYS, type MetricsOptions } from './metrics/computeMetrics.ts';
export { dropDuplicateIds } from './metrics/dropDuplicateIds.ts';

export type { Sink, OutputFile } from './write/Sink.ts';
export { localSink } from './write/localSink.ts';
export { s3Sink, type S3SinkOptions } from './write/s3Sink.ts';
export { openSink, type OutputTarget } from './write/openSink.ts';
export { writeParquet, type WriteOptions } from './write/writeParquet.ts';
export { metricsToArrowIPC } from './write/metricsToArrow.ts';
export { encodeParquet, COMPRESSIONS, type CompressionName } from './write/encodeParquet.ts';

export { Tally, REJECT_REASONS, type Problem, type RejectReason } from './report/Tally.ts';
export { summarizeReport, type RunReport } from './report/RunReport.ts';

export { runJob, type JobOptions, type JobResult } from './runJob.ts';
