// GraphiQL from the installed package, bundled with React by Vite: it works with no internet, and sends the key the
// console keeps in session storage (the key screen of /console/ stores it) as the Authorization header.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import { createRoot } from 'react-dom/client';
import { storedKey } from './api';

const key = storedKey();
const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  headers: key ? { authorization: `Bearer ${key}` } : {},
});

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={
      '# Enter the API key at /console/ first; it is sent from session storage.\n{\n  contracts(first: 5) {\n    totalCount\n    edges { node { id status legalEntity currency } }\n  }\n}\n'
    }
  />,
);
