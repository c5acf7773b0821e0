// graphql-codegen: typed documents for the SDK's operations (operations/*.graphql) against the
// committed SDL. `npm run sdk:generate` writes src/gql/; `npm test` fails when it is stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: ['operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql' },
      config: {
        // Strings, not a graphql-js AST: the browser bundle then needs no graphql package.
        documentMode: 'string',
        // String unions, not TS enums (the repository compiles with erasableSyntaxOnly).
        enumsAsTypes: true,
        useTypeImports: true,
        // Node runs the sources as they are (type stripping), so imports name the .ts file.
        importExtension: '.ts',
        // The hand-written layer narrows Upload to what it can send (UploadSource).
        scalars: { DateTime: 'string', Upload: 'unknown' },
      },
    },
  },
};
export default config;
