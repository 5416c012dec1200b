// Lookups several screens share.
import { rest } from './api';
import type { Entity } from './session';
import { useLoad } from './ui';

interface AccountMapping {
  entities: Entity[];
}

/** The legal entities the account mapping names, in name order (empty when no account mapping is published). */
export function useEntities(): Entity[] {
  const loaded = useLoad(
    () =>
      rest<AccountMapping>('GET', '/v1/mappings/accounts').then(
        (m) => [...m.entities].sort((a, b) => a.legalEntity.localeCompare(b.legalEntity)),
        () => [] as Entity[],
      ),
    [],
  );
  return loaded.state === 'done' ? loaded.value : [];
}

/** Money as the server sends it (a decimal string), grouped for reading; never through a float. */
export function money(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const [whole = '', fraction] = value.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction !== undefined ? `.${fraction}` : ''}`;
}
