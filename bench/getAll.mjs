// The store's ceiling for bench/s3.ts: every object under a prefix fetched with parallel GETs, bodies
// read and thrown away, in one of three ways:
//   sdk         a bare S3Client with the SDK's defaults (it checks checksums itself when sent)
//   project     createS3Client's client, the job's settings; with checksums, it asks for the whole
//               object's CRC64NVME and checks it with the job's CRC, the job's cost of a plain read
//   readObject  the job's own read (readObject, then gunzipIfNeeded), bytes thrown away: against
//               `project`, what the job's per-chunk work costs
//   node bench/getAll.mjs ENDPOINT BUCKET PREFIX CONCURRENCY MODE [on|off]
// Prints the objects, bytes and chunks read to stderr. Needs `npm run build` (reads dist/).
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { createS3Client, readObject } from '../dist/index.js';
import { Crc64Nvme } from '../dist/s3/crc64Nvme.js';
import { gunzipIfNeeded } from '../dist/read/gunzipIfNeeded.js';

const [endpoint, bucket, prefix, concurrency, mode = 'sdk', checksums = 'on'] = process.argv.slice(2);
const client = mode === 'sdk'
  ? new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' })
  : createS3Client({ endpoint, checksums: checksums === 'on' });
const keys = [];
for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) for (const object of page.Contents ?? []) keys.push(object.Key);

let bytes = 0;
let chunks = 0;
const readers = {
  async sdk(key) {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    for await (const chunk of Body) (bytes += chunk.length), chunks++;
  },
  async project(key) {
    const command = new GetObjectCommand({ Bucket: bucket, Key: key });
    if (checksums === 'on') {
      command.middlewareStack.add((next) => (args) => {
        args.request.headers['x-amz-checksum-mode'] = 'ENABLED';
        return next(args);
      }, { step: 'build' });
    }
    const { Body, ChecksumCRC64NVME } = await client.send(command);
    const crc = ChecksumCRC64NVME === undefined ? undefined : new Crc64Nvme();
    for await (const chunk of Body) (bytes += chunk.length), chunks++, crc?.update(chunk);
    if (crc && Buffer.from(await crc.digest()).toString('base64') !== ChecksumCRC64NVME) throw new Error(`${key}: checksum mismatch`);
  },
  async readObject(key) {
    for await (const chunk of gunzipIfNeeded(await readObject(client, bucket, key))) (bytes += chunk.length), chunks++;
  },
};
if (!(mode in readers)) throw new Error(`unknown mode ${mode}: sdk, project or readObject`);
await pMap(keys, readers[mode], { concurrency: Number(concurrency) });
console.error(`${keys.length} objects, ${bytes} bytes, ${chunks} chunks`);
client.destroy();
