// Denoises a file and prints the result's URL:
//   VOXGRAPH_URL=http://localhost:4000 VOXGRAPH_API_KEY=… node sdk/examples/denoise-file.ts noisy.wav
import { createClient, resultAudio } from '@voxgraph/sdk';
import { fileFromPath } from '@voxgraph/sdk/node';

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: denoise-file.ts <audio file>');
const vg = createClient({ url: process.env.VOXGRAPH_URL ?? 'http://localhost:4000', apiKey: process.env.VOXGRAPH_API_KEY });
const job = await vg.denoise({ file: await fileFromPath(path) });
for await (const state of vg.watch(job.id)) console.error(`${state.status} ${Math.round(state.progress * 100)}%`);
const done = await vg.waitFor(job.id);
console.log(resultAudio(done)!.url);
await vg.close();
