// The analyst views in DuckDB SQL, for the side-by-side benchmark (bench/analysis.ts):
//   node bench/duckdbAnalysis.mjs MODE ROOT OUT.parquet THREADS, MODE one of events, by-purpose, grain-day.
// Each starts from the same deduplication as bench/duckdbJob.mjs (GROUP BY id, the earliest hour's copy
// wins: the generator's duplicates are exact copies), then: `events` writes every kept event with its
// token's lists as VARCHAR[]; `by-purpose` unnests the purposes and counts per group, type and name;
// `grain-day` counts the metrics per date, users distinct over the day. Plain JS: no compile step.
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, root, out, threads = '2'] = process.argv.slice(2);
const quote = (text) => `'${text.replaceAll("'", "''")}'`;
const connection = await (await DuckDBInstance.create(':memory:', { threads })).connect();
const input = `read_json(${quote(`${root}/*/*.json`)}, format = 'newline_delimited', hive_partitioning = true, filename = true,
  hive_types = {'datehour': 'VARCHAR'},
  columns = {id: 'VARCHAR', datetime: 'VARCHAR', type: 'VARCHAR', domain: 'VARCHAR', "user": 'STRUCT(id VARCHAR, country VARCHAR, token VARCHAR)'})`;
const kept = `kept AS (
  SELECT id, min(datehour) AS datehour, arg_min(datetime, datehour) AS datetime, arg_min(domain, datehour) AS domain, arg_min(type, datehour) AS type,
         arg_min("user".id, datehour) AS user_id, arg_min("user".country, datehour) AS country, arg_min("user".token, datehour) AS token,
         arg_min(filename, datehour) AS file
  FROM ${input} GROUP BY id)`;
const list = (path) => `CAST(json_extract(token, '$.${path}') AS VARCHAR[])`;
const consent = `coalesce(json_array_length(token, '$.purposes.enabled') > 0, false)`;
const queries = {
  events: `WITH ${kept} SELECT id, datehour, datetime, domain, type, user_id, country, ${consent} AS consent,
    ${list('purposes.enabled')} AS purposes_enabled, ${list('purposes.disabled')} AS purposes_disabled,
    ${list('vendors.enabled')} AS vendors_enabled, ${list('vendors.disabled')} AS vendors_disabled, file FROM kept`,
  'by-purpose': `WITH ${kept},
    named AS (
      SELECT datehour, domain, country, type, unnest(list_distinct(${list('purposes.enabled')})) AS purpose, 1 AS enabled, 0 AS disabled FROM kept
      UNION ALL
      SELECT datehour, domain, country, type, unnest(list_distinct(${list('purposes.disabled')})) AS purpose, 0 AS enabled, 1 AS disabled FROM kept),
    events AS (SELECT datehour, domain, country, type, count(*) AS events FROM kept GROUP BY ALL)
    SELECT n.datehour, n.domain, n.country, n.type, n.purpose, any_value(e.events) AS events, sum(n.enabled)::BIGINT AS enabled, sum(n.disabled)::BIGINT AS disabled
    FROM named n JOIN events e ON n.datehour = e.datehour AND n.domain IS NOT DISTINCT FROM e.domain AND n.country IS NOT DISTINCT FROM e.country AND n.type = e.type
    GROUP BY ALL ORDER BY ALL NULLS FIRST`,
  'grain-day': `WITH ${kept}
    SELECT substr(datehour, 1, 10) AS date, domain, country,
      count(*) FILTER (WHERE type = 'pageview') AS pageviews,
      count(*) FILTER (WHERE type = 'pageview' AND ${consent}) AS pageviews_with_consent,
      count(*) FILTER (WHERE type = 'consent.asked') AS consents_asked,
      count(*) FILTER (WHERE type = 'consent.asked' AND ${consent}) AS consents_asked_with_consent,
      count(*) FILTER (WHERE type = 'consent.given') AS consents_given,
      count(*) FILTER (WHERE type = 'consent.given' AND ${consent}) AS consents_given_with_consent,
      coalesce(count(*) FILTER (WHERE type = 'pageview') / nullif(count(DISTINCT user_id) FILTER (WHERE type = 'pageview'), 0), 0)::DOUBLE AS avg_pageviews_per_user
    FROM kept GROUP BY ALL ORDER BY ALL NULLS FIRST`,
};
if (!queries[mode]) throw new Error(`mode must be one of ${Object.keys(queries).join(', ')}, got ${mode}`);
await connection.run(`COPY (${queries[mode]}) TO ${quote(out)} (FORMAT parquet, COMPRESSION snappy)`);
