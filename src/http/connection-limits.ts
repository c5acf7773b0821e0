// Long-lived connections per tenant, in this process (MAX_CONNECTIONS_PER_TENANT): graphql-ws
// sockets and SSE subscriptions count alike. Process-local by design: a connection lives in one
// process, and the limit is there to keep one tenant from holding all of this process's sockets
// (N API processes admit N × the limit; set it with that in mind).
export class ConnectionCounter {
  private readonly open = new Map<string, number>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a connection for the tenant; false (and nothing taken) when it is at its limit. */
  take(tenant: string): boolean {
    const n = this.open.get(tenant) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.open.set(tenant, n + 1);
    return true;
  }

  release(tenant: string): void {
    const n = (this.open.get(tenant) ?? 1) - 1;
    if (n <= 0) this.open.delete(tenant);
    else this.open.set(tenant, n);
  }

  count(tenant: string): number {
    return this.open.get(tenant) ?? 0;
  }

  /** Every tenant's together (the metrics). */
  total(): number {
    let n = 0;
    for (const v of this.open.values()) n += v;
    return n;
  }
}
