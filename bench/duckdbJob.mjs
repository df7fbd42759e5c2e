// The same job in DuckDB SQL, for the side-by-side benchmark: node bench/duckdbJob.mjs ROOT OUT.parquet THREADS
// Plain JS (not TypeScript) so DuckDB's run pays no compile step.
import { DuckDBInstance } from '@duckdb/node-api';

const [root, out, threads = '2'] = process.argv.slice(2);
const quote = (text) => `'${text.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
await connection.run(`
COPY (
  WITH raw AS (
    SELECT id, domain, type, "user".id AS user_id, "user".country AS country, "user".token AS token,
           regexp_extract(filename, 'datehour=([0-9-]+)', 1) AS datehour, filename,
           row_number() OVER () AS line
    FROM read_json(${quote(`${root}/datehour=*/*`)}, format = 'newline_delimited', filename = true,
      columns = {id: 'VARCHAR', domain: 'VARCHAR', type: 'VARCHAR', "user": 'STRUCT(id VARCHAR, country VARCHAR, token VARCHAR)'})
  ),
  events AS (
    SELECT * FROM raw
    WHERE id IS NOT NULL AND id <> '' AND type IN ('pageview', 'consent.asked', 'consent.given')
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY datehour, filename, line) = 1
  ),
  flagged AS (
    SELECT *, coalesce(json_valid(token) AND coalesce(json_array_length(token, '$.purposes.enabled'), 0) > 0, false) AS consent
    FROM events
  )
  SELECT datehour, domain, country,
    count(*) FILTER (type = 'pageview') AS pageviews,
    count(*) FILTER (type = 'pageview' AND consent) AS pageviews_with_consent,
    count(*) FILTER (type = 'consent.asked') AS consents_asked,
    count(*) FILTER (type = 'consent.asked' AND consent) AS consents_asked_with_consent,
    count(*) FILTER (type = 'consent.given') AS consents_given,
    count(*) FILTER (type = 'consent.given' AND consent) AS consents_given_with_consent,
    CASE WHEN count(*) FILTER (type = 'pageview') = 0 THEN 0::DOUBLE
      ELSE count(*) FILTER (type = 'pageview') / (count(DISTINCT user_id) FILTER (type = 'pageview')
        + (count(*) FILTER (type = 'pageview' AND user_id IS NULL) > 0)::INT) END AS avg_pageviews_per_user
  FROM flagged
  GROUP BY ALL
  ORDER BY datehour, domain NULLS FIRST, country NULLS FIRST
) TO ${quote(out)} (FORMAT parquet, COMPRESSION snappy)`);
