// s3rver in a process of its own for the throughput bench, as an S3 service would be: it
// reports its port to the parent and removes its folder when the parent disconnects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

const directory = mkdtempSync(join(tmpdir(), 'parley-s3rver-bench-'));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: process.argv[2], configs: [] }] });
const { port } = await server.run();
process.send({ endpoint: `http://127.0.0.1:${port}` });
process.on('disconnect', async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});
