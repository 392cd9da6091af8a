import { useEffect, useState } from 'react';
import type { Company } from '../api/api-types';
import { followLink, keyManagementPath } from '../app/router';
import { useSession } from '../auth/session-context';
import { ErrorNotice } from '../components/ErrorNotice';
import { useFocusOnMount } from '../components/use-focus-on-mount';

export function CompanyPickerPage() {
  const { api } = useSession();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [companies, setCompanies] = useState<Company[] | null>(null);
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api
      .get<{ companies: Company[] }>('/api/companies')
      .then((body) => setCompanies(body.companies))
      .catch(setError);
  }, [api]);

  const needle = filter.trim().toLowerCase();
  const visibleCompanies = (companies ?? []).filter((company) => company.name.toLowerCase().includes(needle));

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Companies
      </h1>
      <p>Choose a company to open its Key Management page.</p>
      <ErrorNotice error={error} />
      {companies === null && !error && <p role="status">Loading companies…</p>}
      {companies && companies.length > 5 && (
        <div className="field field-inline">
          <label htmlFor="company-filter">Filter by name</label>
          <input
            id="company-filter"
            type="search"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
          />
        </div>
      )}
      {companies && companies.length === 0 && <p>No companies yet.</p>}
      {companies && companies.length > 0 && (
        <ul className="company-list" data-testid="company-list">
          {visibleCompanies.map((company) => {
            const href = keyManagementPath(company.id);
            return (
              <li key={company.id}>
                <a href={href} onClick={(event) => followLink(event, href)}>
                  {company.name}
                </a>
                <span className="muted"> {company.partnerName}</span>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
