// The same job in DuckDB SQL, for the side-by-side benchmark: node bench/duckdbJob.mjs ROOT OUT.parquet THREADS [MEMORY_LIMIT TEMP_DIR]
// (MEMORY_LIMIT as DuckDB reads it, e.g. 512MiB: it spills to TEMP_DIR past it.)
// The fastest SQL that gives the SPEC's result on data whose duplicates are exact copies (what the
// generator writes): GROUP BY id with arg_min(..., datehour), so the earliest hour's copy wins.
// `DISTINCT ON (id)` without an order is faster but wrong once a copy crosses an hour, and
// `row_number() OVER ()` for line order forces ordered reading (~2x slower).
// Plain JS (not TypeScript) so DuckDB's run pays no compile step.
import { DuckDBInstance } from '@duckdb/node-api';

const [root, out, threads = '2', memoryLimit, tempDirectory] = process.argv.slice(2);
const quote = (text) => `'${text.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads, ...(memoryLimit && { memory_limit: memoryLimit }), ...(tempDirectory && { temp_directory: tempDirectory }) });
const connection = await instance.connect();
const pageviews = `type = 'pageview'`;
await connection.run(`
COPY (
  WITH c AS (
    SELECT min(datehour) AS datehour, arg_min(domain, datehour) AS domain, arg_min("user".country, datehour) AS country,
           arg_min("user".id, datehour) AS uid, arg_min(type, datehour) AS type,
           arg_min(json_array_length("user".token, '$.purposes.enabled') > 0, datehour) AS consent
    FROM read_json(${quote(`${root}/*/*.json`)}, format = 'newline_delimited', hive_partitioning = true,
           hive_types = {'datehour': 'VARCHAR'},
           columns = {id: 'VARCHAR', type: 'VARCHAR', domain: 'VARCHAR', "user": 'STRUCT(id VARCHAR, country VARCHAR, token VARCHAR)'})
    GROUP BY id)
  SELECT datehour, domain, country,
    count(*) FILTER (WHERE ${pageviews}) AS pageviews,
    count(*) FILTER (WHERE ${pageviews} AND consent) AS pageviews_with_consent,
    count(*) FILTER (WHERE type = 'consent.asked') AS consents_asked,
    count(*) FILTER (WHERE type = 'consent.asked' AND consent) AS consents_asked_with_consent,
    count(*) FILTER (WHERE type = 'consent.given') AS consents_given,
    count(*) FILTER (WHERE type = 'consent.given' AND consent) AS consents_given_with_consent,
    coalesce(count(*) FILTER (WHERE ${pageviews}) / nullif(count(DISTINCT uid) FILTER (WHERE ${pageviews}), 0), 0)::DOUBLE AS avg_pageviews_per_user
  FROM c GROUP BY datehour, domain, country
) TO ${quote(out)} (FORMAT parquet, COMPRESSION snappy)`);
