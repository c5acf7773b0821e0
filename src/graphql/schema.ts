// The GraphQL schema: one file per type under types/, one module per job kind under kinds/. The
// SDL is printed to schema/schema.graphql (npm run schema:print) and a test fails when it is out of date.
import { builder } from './builder.ts';
import './types/scalars.ts';
import './types/enums.ts';
import './types/audio.ts';
import './types/job-result.ts';
import './types/node.ts';
import './types/job.ts';
import './types/engine.ts';
import './types/query.ts';
import './types/queue.ts';
import { addJobControlMutations } from './types/mutation.ts';
import './kinds/index.ts';
import { addBatchMutations } from './types/batch.ts';
import { addWebhookMutations } from './types/webhook.ts';
import './types/subscription.ts';

addBatchMutations();
addWebhookMutations();
addJobControlMutations();

export const schema = builder.toSchema({ sortSchema: false });
