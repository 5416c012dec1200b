// Lineage: backwards from a journal (GraphQL `lineage`) to its lines, the schedule lines they stand on, the source
// events and the source records they came from, with the mapping versions used. Trace: forwards from a source
// record or a correlation id (GraphQL `trace`) to the events, contracts, changed periods and journals it reached.
import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { gql } from './api';
import { money } from './data';
import { LineageGraph } from './graph';
import type { GraphEdge, GraphNode } from './graph';
import { Field, Show, go, href, useLoad } from './ui';

interface EventRef {
  eventId: string;
  type: string;
  contractId: string | null;
  source: { system: string; id: string; version: number | null } | null;
  contentHash: string;
}

interface MappingRef {
  kind: string;
  version: number;
  reason: string | null;
  actor: string | null;
}

interface LineageAnswer {
  lineage: {
    journal: { journalId: string; contractId: string; period: string; status: string; erpDocumentId: string | null };
    lines: {
      index: number;
      account: string;
      role: string;
      debit: string;
      credit: string;
      scheduleLine: { obligation: string; sku: string; through: string; recognisedToDate: string } | null;
      sourceEvents: { eventId: string }[];
    }[];
    sourceEvents: EventRef[];
    productMapping: MappingRef;
    accountMapping: MappingRef;
  } | null;
}

const EVENT_FIELDS = 'eventId type contractId contentHash source { system id version }';
const MAPPING_FIELDS = 'kind version reason actor';

const LINEAGE = /* GraphQL */ `
  query Lineage($journalId: ID!) {
    lineage(journalId: $journalId) {
      journal { journalId contractId period status erpDocumentId }
      lines {
        index account role debit credit
        scheduleLine { obligation sku through recognisedToDate }
        sourceEvents { eventId }
      }
      sourceEvents { ${EVENT_FIELDS} }
      productMapping { ${MAPPING_FIELDS} }
      accountMapping { ${MAPPING_FIELDS} }
    }
  }
`;

const sourceKey = (s: { system: string; id: string }) => `source:${s.system}/${s.id}`;

function lineageGraph(l: NonNullable<LineageAnswer['lineage']>): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const journal = `journal:${l.journal.journalId}`;
  nodes.set(journal, { id: journal, kind: 'journal', label: `Journal ${l.journal.journalId}` });
  for (const m of [l.productMapping, l.accountMapping]) {
    const id = `mapping:${m.kind}:${m.version}`;
    nodes.set(id, {
      id,
      kind: 'mapping',
      label: `${m.kind} mapping v${m.version}`,
      link: href(['mappings'], { kind: m.kind }),
    });
    edges.push({ from: journal, to: id });
  }
  for (const e of l.sourceEvents) {
    const id = `event:${e.eventId}`;
    nodes.set(id, { id, kind: 'event', label: `${e.type} ${e.eventId.slice(0, 8)}` });
    if (e.source) {
      const s = sourceKey(e.source);
      nodes.set(s, {
        id: s,
        kind: 'source',
        label: `${e.source.system} ${e.source.id}`,
        link: href(['trace'], { system: e.source.system, id: e.source.id }),
      });
      edges.push({ from: id, to: s });
    }
  }
  for (const line of l.lines) {
    const id = `line:${line.index}`;
    const amount =
      line.debit !== '0' && !/^0(\.0+)?$/.test(line.debit) ? `Dr ${money(line.debit)}` : `Cr ${money(line.credit)}`;
    nodes.set(id, { id, kind: 'line', label: `${line.role} ${line.account} ${amount}` });
    edges.push({ from: journal, to: id });
    let from = id;
    if (line.scheduleLine) {
      const s = `schedule:${line.scheduleLine.obligation}:${line.scheduleLine.through}`;
      nodes.set(s, {
        id: s,
        kind: 'schedule',
        label: `Schedule ${line.scheduleLine.obligation} (${line.scheduleLine.sku}) to ${line.scheduleLine.through}: ${money(line.scheduleLine.recognisedToDate)}`,
      });
      edges.push({ from: id, to: s });
      from = s;
    }
    for (const e of line.sourceEvents) edges.push({ from, to: `event:${e.eventId}` });
  }
  return { nodes: [...nodes.values()], edges: dedupe(edges) };
}

function dedupe(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = `${e.from}>${e.to}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function LineageScreen({ journalId }: { journalId: string }) {
  const loaded = useLoad(() => gql<LineageAnswer>(LINEAGE, { journalId }), [journalId]);
  return (
    <section aria-labelledby="lineage-title">
      <h1 id="lineage-title">Lineage of journal {journalId}</h1>
      <Show loaded={loaded}>
        {({ lineage }) => (lineage ? <LineageBody lineage={lineage} /> : <p>No such journal.</p>)}
      </Show>
    </section>
  );
}

function LineageBody({ lineage }: { lineage: NonNullable<LineageAnswer['lineage']> }) {
  const graph = useMemo(() => lineageGraph(lineage), [lineage]);
  const j = lineage.journal;
  return (
    <>
      <p>
        Contract <a href={href(['contract', j.contractId])}>{j.contractId}</a>, period {j.period}, status {j.status},
        ERP document {j.erpDocumentId ?? '—'}. Product mapping v{lineage.productMapping.version} (
        {lineage.productMapping.reason ?? 'no reason'}), account mapping v{lineage.accountMapping.version}.
      </p>
      <LineageGraph title="Journal lineage" nodes={graph.nodes} edges={graph.edges} />
    </>
  );
}

interface TraceAnswer {
  trace: {
    events: EventRef[];
    contracts: {
      contractId: string;
      scheduleChanges: { period: string; recognisedChange: string; billedChange: string }[];
      journals: { journal: { journalId: string; status: string; erpDocumentId: string | null } }[];
    }[];
    journals: { journal: { journalId: string; status: string; erpDocumentId: string | null }; eventIds: string[] }[];
  };
}

const TRACE = /* GraphQL */ `
  query Trace($system: String, $id: String, $correlationId: String) {
    trace(system: $system, id: $id, correlationId: $correlationId) {
      events { ${EVENT_FIELDS} }
      contracts {
        contractId
        scheduleChanges { period recognisedChange billedChange }
        journals { journal { journalId status erpDocumentId } }
      }
      journals { journal { journalId status erpDocumentId } eventIds }
    }
  }
`;

function traceGraph(t: TraceAnswer['trace'], root: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  nodes.set('root', { id: 'root', kind: 'source', label: root });
  for (const e of t.events) {
    const id = `event:${e.eventId}`;
    nodes.set(id, { id, kind: 'event', label: `${e.type} ${e.eventId.slice(0, 8)}` });
    edges.push({ from: 'root', to: id });
    if (e.contractId) edges.push({ from: id, to: `contract:${e.contractId}` });
  }
  for (const c of t.contracts) {
    const id = `contract:${c.contractId}`;
    nodes.set(id, { id, kind: 'contract', label: `Contract ${c.contractId}`, link: href(['contract', c.contractId]) });
    for (const p of c.scheduleChanges) {
      const pid = `period:${c.contractId}:${p.period}`;
      nodes.set(pid, {
        id: pid,
        kind: 'period',
        label: `${p.period}: recognised ${money(p.recognisedChange)}, billed ${money(p.billedChange)}`,
      });
      edges.push({ from: id, to: pid });
    }
    for (const j of c.journals) edges.push({ from: id, to: `journal:${j.journal.journalId}` });
  }
  for (const j of t.journals) {
    const id = `journal:${j.journal.journalId}`;
    nodes.set(id, {
      id,
      kind: 'journal',
      label: `Journal ${j.journal.journalId} ${j.journal.status}${j.journal.erpDocumentId ? ` (${j.journal.erpDocumentId})` : ''}`,
      link: href(['lineage', j.journal.journalId]),
    });
  }
  return { nodes: [...nodes.values()], edges: dedupe(edges) };
}

export function TraceScreen({ query }: { query: URLSearchParams }) {
  const asked = {
    system: query.get('system') ?? '',
    id: query.get('id') ?? '',
    correlationId: query.get('correlationId') ?? '',
  };
  const [form, setForm] = useState(asked);
  const ready = (asked.system !== '' && asked.id !== '') || asked.correlationId !== '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(['trace'], form.correlationId ? { correlationId: form.correlationId } : { system: form.system, id: form.id });
  };
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">Trace forward</h1>
      <form className="filters" onSubmit={submit} aria-label="Trace from">
        <Field
          label="Source system"
          name="system"
          value={form.system}
          onChange={(system) => setForm({ ...form, system })}
        />
        <Field label="Source record id" name="id" value={form.id} onChange={(id) => setForm({ ...form, id })} />
        <Field
          label="or correlation id"
          name="correlationId"
          value={form.correlationId}
          onChange={(correlationId) => setForm({ ...form, correlationId })}
        />
        <button type="submit">Trace</button>
      </form>
      {ready ? <TraceResult asked={asked} /> : <p className="muted">Give a source record or a correlation id.</p>}
    </section>
  );
}

function TraceResult({ asked }: { asked: { system: string; id: string; correlationId: string } }) {
  const vars = asked.correlationId ? { correlationId: asked.correlationId } : { system: asked.system, id: asked.id };
  const loaded = useLoad(() => gql<TraceAnswer>(TRACE, vars), [JSON.stringify(vars)]);
  const root = asked.correlationId ? `Correlation ${asked.correlationId}` : `${asked.system} ${asked.id}`;
  return (
    <Show loaded={loaded}>
      {({ trace }) =>
        trace.events.length === 0 ? <p>No event carries it.</p> : <TraceBody trace={trace} root={root} />
      }
    </Show>
  );
}

function TraceBody({ trace, root }: { trace: TraceAnswer['trace']; root: string }) {
  const graph = useMemo(() => traceGraph(trace, root), [trace, root]);
  return <LineageGraph title="Trace" nodes={graph.nodes} edges={graph.edges} />;
}
