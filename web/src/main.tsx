import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api/api-client';
import { App } from './app/App';
import { SessionProvider } from './auth/session-context';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider api={api}>
      <App />
    </SessionProvider>
  </StrictMode>,
);
