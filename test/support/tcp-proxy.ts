// A TCP proxy in front of PostgreSQL for fault tests. It forwards bytes and reads the frontend side
// of the wire protocol just enough to know which statement a connection runs (a simple Query, or
// Parse/Bind of a named or unnamed statement), so that a test can
// - freeze chosen connections: nothing forwarded either way, nothing closed (a half-open
//   connection, as after a network fault or a failover);
// - cut every connection and refuse new ones for a while (a restart);
// - lose a COMMIT: the next COMMIT of the connection that ran a marked statement reaches
//   PostgreSQL, its answer does not reach the client, and the connection drops (the commit
//   happened; the client cannot know).
import { connect, createServer, type Server, type Socket } from 'node:net';

export type TcpProxy = {
  port: number;
  /** The same database through the proxy. */
  url: (databaseUrl: string) => string;
  /** Freezes the open connections whose startup packet contains `marker` (e.g. an application_name). */
  freeze: (marker: string) => number;
  /** Cuts every connection and refuses new ones for `ms`. */
  outage: (ms: number) => void;
  /** Loses the COMMIT of the next transaction that runs a statement containing `marker`. */
  loseCommit: (marker: string) => void;
  /** What was acted on, in order ('lost commit', …). */
  fired: string[];
  close: () => Promise<void>;
};

type Pair = {
  client: Socket;
  server: Socket;
  startup: Buffer;
  frozen: boolean;
  statements: Map<string, string>;
  flagged: boolean;
  swallow: boolean;
};

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const fired: string[] = [];
  let refuseUntil = 0;
  let commitMarker: string | null = null;

  const statementOf = (p: Pair, msg: Buffer): string | null => {
    const type = String.fromCharCode(msg[0]!);
    const body = msg.subarray(5);
    const cstr = (b: Buffer, at: number) => {
      const end = b.indexOf(0, at);
      return [b.subarray(at, end).toString(), end + 1] as const;
    };
    if (type === 'Q') return cstr(body, 0)[0];
    if (type === 'P') {
      const [name, next] = cstr(body, 0);
      const [text] = cstr(body, next);
      p.statements.set(name, text);
      return text;
    }
    if (type === 'B') {
      const [, next] = cstr(body, 0);
      return p.statements.get(cstr(body, next)[0]) ?? '';
    }
    return null;
  };

  const srv: Server = createServer((client) => {
    if (Date.now() < refuseUntil) return client.destroy();
    const server = connect(port, host);
    const p: Pair = { client, server, startup: Buffer.alloc(0), frozen: false, statements: new Map(), flagged: false, swallow: false };
    pairs.add(p);
    let buf = Buffer.alloc(0);
    let started = false;
    const end = () => {
      pairs.delete(p);
      client.destroy();
      server.destroy();
    };
    client.on('data', (chunk) => {
      if (p.frozen) return;
      if (p.startup.length < 1024) p.startup = Buffer.concat([p.startup, chunk]).subarray(0, 1024);
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        let msg: Buffer;
        if (!started) {
          // Untyped: SSL/GSS requests, then the startup packet.
          if (buf.length < 8 || buf.length < buf.readInt32BE(0)) break;
          const n = buf.readInt32BE(0);
          started = ![SSL_REQUEST, GSS_REQUEST].includes(buf.readInt32BE(4));
          msg = buf.subarray(0, n);
          buf = buf.subarray(n);
          server.write(msg);
          continue;
        }
        if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) break;
        msg = buf.subarray(0, 1 + buf.readInt32BE(1));
        buf = buf.subarray(msg.length);
        const text = statementOf(p, msg);
        if (text !== null && commitMarker && text.includes(commitMarker)) {
          commitMarker = null;
          p.flagged = true;
        }
        if (p.flagged && text?.trim().toUpperCase() === 'COMMIT') p.swallow = true;
        server.write(msg);
        const type = String.fromCharCode(msg[0]!);
        if (p.swallow && (type === 'Q' || type === 'S')) {
          fired.push('lost commit');
          setTimeout(end, 300); // PostgreSQL commits; its answer goes nowhere
          return;
        }
      }
    });
    server.on('data', (d) => {
      if (!p.frozen && !p.swallow) client.write(d);
    });
    client.on('error', end).on('close', () => !p.frozen && end());
    server.on('error', end).on('close', () => !p.frozen && end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const own = (srv.address() as { port: number }).port;
  return {
    port: own,
    fired,
    url: (u) => {
      const x = new URL(u);
      x.hostname = '127.0.0.1';
      x.port = String(own);
      x.searchParams.set('sslmode', 'disable');
      return x.toString();
    },
    freeze: (marker) => {
      let n = 0;
      for (const p of pairs) {
        if (p.frozen || !p.startup.includes(marker)) continue;
        p.frozen = true; // still open, never to move again
        n++;
      }
      return n;
    },
    outage: (ms) => {
      refuseUntil = Date.now() + ms;
      fired.push('outage');
      for (const p of pairs) if (!p.frozen) (p.client.destroy(), p.server.destroy());
    },
    loseCommit: (marker) => {
      commitMarker = marker;
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}
