// The store's ceiling for bench/s3.ts: every object under a prefix fetched with plain parallel GETs
// (the SDK's defaults), bodies read and thrown away.
//   node bench/getAll.mjs ENDPOINT BUCKET PREFIX CONCURRENCY
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import pMap from 'p-map';

const [endpoint, bucket, prefix, concurrency] = process.argv.slice(2);
const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
const keys = [];
for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) for (const object of page.Contents ?? []) keys.push(object.Key);
let bytes = 0;
await pMap(keys, async (key) => {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  for await (const chunk of Body) bytes += chunk.length;
}, { concurrency: Number(concurrency) });
console.error(`${keys.length} objects, ${bytes} bytes`);
client.destroy();
