// How an error reads in the app: the server's code first (what a user can report or act on).
import { ConnectionError, VoxgraphError } from '@voxgraph/sdk';

export function describe(err: unknown): { code: string; message: string } {
  if (err instanceof VoxgraphError) return { code: err.code, message: err.field ? `${err.message} (${err.field})` : err.message };
  if (err instanceof ConnectionError) return { code: 'CONNECTION', message: err.message };
  return { code: 'ERROR', message: err instanceof Error ? err.message : String(err) };
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const { code, message } = describe(error);
  return (
    <p className="error" role="alert">
      <code>{code}</code> {message}
    </p>
  );
}
