import { useCallback, useEffect, useState } from 'react';
import type { AuditEvent } from '../api/api-types';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatTime } from './format';

const pageSize = 50;

/** Lists the company's key-management audit log, newest first, and reloads it when reloadToken changes. */
export function HistorySection({ companyId, reloadToken }: { companyId: string; reloadToken: string }) {
  const { api } = useSession();
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);

  const load = useCallback(
    async (before?: number) => {
      const query = new URLSearchParams({ limit: String(pageSize) });
      if (before !== undefined) query.set('before', String(before));
      const body = await api.get<{ events: AuditEvent[] }>(
        `/api/companies/${encodeURIComponent(companyId)}/audit-events?${query}`,
      );
      setHasMore(body.events.length === pageSize);
      return body.events;
    },
    [api, companyId],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new reloadToken is the signal to reload.
  useEffect(() => {
    let cancelled = false;
    load()
      .then((loaded) => {
        if (cancelled) return;
        setEvents(loaded);
        setError(null);
      })
      .catch((caught: unknown) => !cancelled && setError(caught));
    return () => {
      cancelled = true;
    };
  }, [load, reloadToken]);

  async function loadOlder() {
    const oldest = events?.at(-1)?.sequence;
    if (oldest === undefined) return;
    setLoadingOlder(true);
    try {
      const older = await load(oldest);
      setEvents((current) => [...(current ?? []), ...older]);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoadingOlder(false);
    }
  }

  return (
    <section className="card" aria-labelledby="history-heading" data-testid="history">
      <h2 id="history-heading">History</h2>
      <ErrorNotice error={error} testId="history-error" />
      {events === null && !error && <p role="status">Loading history…</p>}
      {events && events.length === 0 && <p>No key management events yet.</p>}
      {events && events.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Key management events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">By</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.sequence} data-testid="history-row" data-action={event.action}>
                  <td>
                    <time dateTime={event.time}>{formatTime(event.time)}</time>
                  </td>
                  <td>{event.summary || event.action}</td>
                  <td>{event.actor}</td>
                  <td>
                    <span className={`badge badge-${event.outcome === 'success' ? 'verified' : 'refused'}`}>
                      {event.outcome === 'success' ? 'Succeeded' : 'Failed'}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <button type="button" className="button-secondary" onClick={loadOlder} disabled={loadingOlder}>
          {loadingOlder ? 'Loading…' : 'Show older events'}
        </button>
      )}
    </section>
  );
}
