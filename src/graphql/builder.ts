import SchemaBuilder from '@pothos/core';
import type { FileUpload } from 'graphql-upload-ts';
import type { Context } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    Upload: { Input: Promise<FileUpload>; Output: never };
    DateTime: { Input: Date; Output: Date };
  };
}>({ defaultFieldNullability: false });
