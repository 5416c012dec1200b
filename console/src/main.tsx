// The console's shell: the key screen (the key is kept in session storage only), then the navigation and the screen
// the hash route names. What the key may do comes from GET /v1/whoami: actions outside its scopes are not shown.
import { StrictMode, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { forgetKey, storeKey, storedKey, whoami } from './api';
import type { Whoami } from './api';
import { message, useRoute } from './ui';
import { WhoamiContext } from './session';
import { ContractsScreen } from './contracts';
import { ContractScreen } from './contract';
import { LineageScreen, TraceScreen } from './lineage';
import { AsOfScreen } from './as-of';
import { RollforwardScreen, WaterfallScreen } from './reports';
import { ReconciliationScreen } from './reconciliation';
import { ExceptionsScreen } from './exceptions';
import { CloseScreen } from './close';
import { MappingsScreen } from './mappings';
import './styles.css';

function KeyScreen({ refusal, onKey }: { refusal: string | null; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) onKey(key.trim());
  };
  return (
    <main className="key-screen">
      <h1>Revtrail console</h1>
      <form onSubmit={submit}>
        <label className="field">
          <span>API key</span>
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoFocus
          />
        </label>
        <button type="submit">Open the console</button>
      </form>
      <p className="muted">
        The key stays in this tab&apos;s session storage and is sent only as the Authorization header to this server.
      </p>
      {refusal ? (
        <p role="alert" className="error">
          {refusal}
        </p>
      ) : null}
    </main>
  );
}

const NAV: [string, string][] = [
  ['contracts', 'Contracts'],
  ['trace', 'Trace'],
  ['waterfall', 'Waterfall'],
  ['rollforward', 'Roll-forward'],
  ['reconciliation', 'Reconciliation'],
  ['exceptions', 'Exceptions'],
  ['close', 'Close'],
  ['mappings', 'Mappings'],
];

function Screen() {
  const { path, query } = useRoute();
  const [screen = 'contracts', id] = path;
  switch (screen) {
    case 'contract':
      return id ? <ContractScreen id={id} /> : <ContractsScreen query={query} />;
    case 'lineage':
      return id ? <LineageScreen journalId={id} /> : <TraceScreen query={query} />;
    case 'trace':
      return <TraceScreen query={query} />;
    case 'as-of':
      return id ? <AsOfScreen id={id} query={query} /> : <ContractsScreen query={query} />;
    case 'waterfall':
      return <WaterfallScreen query={query} />;
    case 'rollforward':
      return <RollforwardScreen query={query} />;
    case 'reconciliation':
      return <ReconciliationScreen query={query} />;
    case 'exceptions':
      return <ExceptionsScreen query={query} />;
    case 'close':
      return <CloseScreen query={query} />;
    case 'mappings':
      return <MappingsScreen query={query} />;
    default:
      return <ContractsScreen query={query} />;
  }
}

function Shell({ me, onForget }: { me: Whoami; onForget: () => void }) {
  const { path } = useRoute();
  const current = path[0] ?? 'contracts';
  return (
    <WhoamiContext.Provider value={me}>
      <header className="top">
        <a className="brand" href="#/contracts">
          Revtrail
        </a>
        <nav aria-label="Screens">
          <ul>
            {NAV.map(([route, label]) => (
              <li key={route}>
                <a href={`#/${route}`} aria-current={current === route ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
            <li>
              <a href="/console/graphiql.html">GraphiQL</a>
            </li>
          </ul>
        </nav>
        <div className="who">
          <span>
            Key <strong data-testid="key-name">{me.name}</strong>: {me.scopes.join(', ')}
          </span>
          <button type="button" onClick={onForget}>
            Forget key
          </button>
        </div>
      </header>
      <main id="main">
        <Screen />
      </main>
    </WhoamiContext.Provider>
  );
}

function App() {
  const [me, setMe] = useState<Whoami | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [checking, setChecking] = useState(storedKey() !== null);

  const check = () => {
    setChecking(true);
    whoami().then(
      (answer) => {
        setMe(answer);
        setRefusal(null);
        setChecking(false);
      },
      (err: unknown) => {
        forgetKey();
        setMe(null);
        setRefusal(`The key was refused: ${message(err)}`);
        setChecking(false);
      },
    );
  };
  useEffect(() => {
    if (storedKey() !== null) check();
  }, []);

  if (checking)
    return (
      <p role="status" className="muted">
        Checking the key…
      </p>
    );
  if (!me)
    return (
      <KeyScreen
        refusal={refusal}
        onKey={(key) => {
          storeKey(key);
          check();
        }}
      />
    );
  return (
    <Shell
      me={me}
      onForget={() => {
        forgetKey();
        setMe(null);
      }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
