// The scope form of the per-entity reports (waterfall, roll-forward, reconciliation): a legal entity from the account
// mapping and the report's period fields. The form holds edits until submitted; submitting puts them into the route,
// so a report's address is always what it shows.
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useEntities } from './data';
import type { Entity } from './session';
import { Field, PERIOD, Select, go, lastMonth, useLoad } from './ui';
import type { Loaded } from './ui';

/** The entities to pick from, and the one shown: the route's, else the first entity of the account mapping. */
export function useReportEntity(query: URLSearchParams): { entities: Entity[]; legalEntity: string } {
  const entities = useEntities();
  return { entities, legalEntity: query.get('legalEntity') ?? entities[0]?.legalEntity ?? '' };
}

export interface PeriodReport<T> {
  entities: Entity[];
  legalEntity: string;
  period: string;
  valid: boolean;
  loaded: Loaded<T>;
}

/**
 * A one-period report's scope (the route's entity and period, else the first entity and last month) and its answer,
 * asked only once both are valid.
 */
export function usePeriodReport<T>(
  query: URLSearchParams,
  ask: (scope: { legalEntity: string; period: string }) => Promise<T>,
): PeriodReport<T> {
  const { entities, legalEntity } = useReportEntity(query);
  const period = query.get('period') ?? lastMonth();
  const valid = legalEntity !== '' && PERIOD.test(period);
  const loaded = useLoad(
    () => (valid ? ask({ legalEntity, period }) : Promise.reject(new Error('choose an entity and a period (YYYY-MM)'))),
    [legalEntity, period],
  );
  return { entities, legalEntity, period, valid, loaded };
}

/** The scope form of a one-period report. */
export function PeriodFilters({
  screen,
  label,
  report,
}: {
  screen: string;
  label: string;
  report: PeriodReport<unknown>;
}) {
  const { entities, legalEntity, period } = report;
  return (
    <ReportFilters
      screen={screen}
      label={label}
      entities={entities}
      applied={{ legalEntity, period }}
      fields={[{ name: 'period', label: 'Period (YYYY-MM)' }]}
    />
  );
}

export function ReportFilters<Scope extends Record<string, string> & { legalEntity: string }>(props: {
  /** The route the form submits to. */
  screen: string;
  label: string;
  entities: Entity[];
  /** The scope shown now (from the route); the form follows it when it changes. */
  applied: Scope;
  /** The text fields after the entity picker, in order. */
  fields: { name: keyof Scope & string; label: string }[];
}) {
  const { screen, label, entities, applied, fields } = props;
  const [form, setForm] = useState(applied);
  const key = JSON.stringify(applied);
  useEffect(() => setForm(JSON.parse(key) as Scope), [key]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go([screen], form);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label={label}>
      <Select
        label="Legal entity"
        name="legalEntity"
        value={form.legalEntity}
        options={entities.map((e) => e.legalEntity)}
        onChange={(v) => setForm({ ...form, legalEntity: v })}
      />
      {fields.map((f) => (
        <Field
          key={f.name}
          label={f.label}
          name={f.name}
          value={form[f.name] ?? ''}
          onChange={(v) => setForm({ ...form, [f.name]: v })}
        />
      ))}
      <button type="submit">Show</button>
    </form>
  );
}
