// @voxgraph/sdk: a typed client for voxgraph. Browser-safe: nothing here imports a Node module
// (Node-only helpers are in "@voxgraph/sdk/node").
export { createClient, resultAudio } from './client.ts';
export type { Audio, AlignInput, Batch, BatchJobInput, ClientOptions, DenoiseInput, Engine, JobEvent, QueueStatus, SubmitBatchInput, SynthesizeInput, UploadOptions, VoxgraphClient, WordExport } from './client.ts';
export { ConnectionError, JobFailedError, VoxgraphError } from './errors.ts';
export * from './generated/error-codes.ts';
export type { Progress } from './multipart.ts';
export type { StreamUpload, UploadSource } from './upload-source.ts';
export { FINAL_STATUSES, isFinal } from './watch.ts';
export type { BatchUpdate, FeedItem, FeedOptions, Job, WatchOptions } from './watch.ts';
export * from './gql/graphql.ts';
