export { ConsentMetricsError, MetricsNotKeptError, OptionError, StrictModeError } from './errors.ts';

export type { RemoteObject, Source } from './source/Source.ts';
export { localSource } from './source/localSource.ts';
export { openSource } from './source/openSource.ts';
export { s3Source } from './source/s3Source.ts';

export { createS3Client, S3_DEFAULTS, settingsOf, type S3Options, type S3Settings } from './s3/createS3Client.ts';
export { readObject, type ByteRange, type ReadObjectOptions } from './s3/readObject.ts';
export { readObjectInParts, PART_BYTES, PARTS_IN_FLIGHT, SPLIT_ABOVE, type ListedObject } from './s3/readObjectInParts.ts';
export { retryCountsOf } from './s3/retries.ts';
export { noRetries, RETRY_KINDS, type RetryCounts, type RetryKind } from './s3/retryKinds.ts';
export { parseS3Url, isS3Url, type S3Location } from './s3/parseS3Url.ts';

export { datehourFromFolder, hoursSince1970, parseDatehour } from './partitions/parseDatehour.ts';
export { selectPartitions, type Partition, type PartitionSelection, type SelectedPartitions } from './partitions/selectPartitions.ts';

export type { PartitionEvents, ReadOptions } from './read/readPartitions.ts';
export { FileParser } from './read/FileParser.ts';
export type { FileParserOptions, ParsedFile, DictionaryColumn, ReservedRoom } from './read/ParsedFile.ts';
export { parseEventJson, EVENT_TYPES, type EventType, type EventFields, type Rejection } from './read/parseEventJson.ts';
export { partitionTable } from './read/partitionTable.ts';

export { expandToken, TOKEN_COLUMNS, type ExpandOptions } from './expand/expandToken.ts';
export { parseToken, type TokenFacts } from './expand/parseToken.ts';

export { computeMetrics, type MetricsOptions } from './metrics/computeMetrics.ts';
export { metricsFromCells, metricsFromCounts, METRIC_COLUMNS, GROUP_KEYS, CELL_NAMES, COUNT_COLUMNS } from './metrics/metricsFromCells.ts';
export { aggregatePartition, groupCountTables, type PartitionAggregate } from './metrics/aggregatePartition.ts';
export { countRowParts, countRows, type CountOptions, type RowColumns, type RowPart, type GroupCounts } from './metrics/countRows.ts';
export { markDuplicates, type MarkOptions } from './metrics/markDuplicates.ts';
export { IdSet, NO_HOUR, type IdSetOptions } from './metrics/IdSet.ts';
export { dropDuplicateIds } from './metrics/dropDuplicateIds.ts';

export type { Sink, OutputFile } from './write/Sink.ts';
export { localSink } from './write/localSink.ts';
export { s3Sink, type S3SinkOptions } from './write/s3Sink.ts';
export { openSink, type OutputTarget } from './write/openSink.ts';
export { writeParquet, type WriteOptions } from './write/writeParquet.ts';
export { writeTable } from './write/writeTable.ts';
export { readMetrics } from './write/readMetrics.ts';
export { aq, op } from './display/arquero.ts';
export { metricsToArrow, metricsToArrowIPC } from './write/metricsToArrow.ts';
export { encodeParquet, COMPRESSIONS, type ColumnEncodings, type CompressionName } from './write/encodeParquet.ts';

export { Tally, REJECT_REASONS, type Problem, type RejectReason, type TallyCounts } from './report/Tally.ts';
export { summarizeReport, type MemoryReport, type RunReport, type StateReport } from './report/RunReport.ts';
export { StageTimes, STAGES, formatStageTimes, type Stage } from './report/StageTimes.ts';
export type { TaskKindUsage, TaskUsage } from './report/TaskUsage.ts';

export type { JobOptions, JobResult, QueueOptions, StateOptions } from './job/runJob.ts';
export { readEvents, eventBatches, writeEvents, type EventsOptions, type EventsWritten } from './job/readEvents.ts';
export { eventsTable, EVENT_COLUMNS, type EventsTableOptions, type TokenReading } from './expand/eventsTable.ts';
export { tokenLists, LIST_COLUMNS, type ListColumn, type TokenLists } from './expand/tokenLists.ts';
export { countBreakdown, type BreakdownPart, type BreakdownRows } from './metrics/countBreakdown.ts';
export { BREAKDOWNS, GRAINS, GROUP_KEY_NAMES, BREAKDOWN_COUNTS, breakdownColumns, isStandard, keptKeys, timeColumn, timeOf, type Breakdown, type Grain, type GroupKeyName, type Grouping } from './metrics/grouping.ts';

// The stages a notebook shows, as they return results that display themselves.
export { runJob, readPartitions, readPartition } from './display/displayingStages.ts';
export { show, displayTable, JUPYTER_DISPLAY, type Displayable, type ShowOptions } from './display/show.ts';
export { consentRateChart, type ChartOptions } from './display/consentRateChart.ts';
export { breakdownChart } from './display/breakdownChart.ts';
