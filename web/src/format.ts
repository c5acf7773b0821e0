import type { Job } from '@voxgraph/sdk';

export const shortId = (id: string) => id.slice(0, 8);
export const percent = (p: number) => `${Math.round(p * 100)}%`;
export const seconds = (s: number) => `${s.toFixed(2)} s`;
export const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '—');
export const statusClass = (s: Job['status']) => `status status-${s.toLowerCase()}`;

/** "in 4 s" / "now" for an estimated start. */
export function fromNow(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  return s <= 0 ? 'now' : s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}
