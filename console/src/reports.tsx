// The revenue waterfall (GraphQL `revenueWaterfall`: an ECharts stacked bar per SKU, and its table) and the deferred
// revenue roll-forward (GraphQL `deferredRevenueRollforward`), per legal entity and currency.
import { BarChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { gql } from './api';
import { money } from './data';
import { WATERFALL_GRID } from './fragments';
import { PeriodFilters, ReportFilters, usePeriodReport, useReportEntity } from './report-filters';
import { ExportButtons, PERIOD, PagedTable, Show, lastMonth, useLoad } from './ui';

echarts.use([BarChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

interface Waterfall {
  revenueWaterfall: {
    periods: string[];
    contracts: number;
    currencies: {
      currency: string;
      rows: { sku: string; obligations: number; periods: { period: string; amount: string }[]; total: string }[];
      totals: { period: string; amount: string }[];
      total: string;
    }[];
  };
}

const WATERFALL = /* GraphQL */ `
  query Waterfall($legalEntity: String!, $from: String!, $to: String!) {
    revenueWaterfall(legalEntity: $legalEntity, from: $from, to: $to) {
      ...WaterfallGrid
    }
  }
  ${WATERFALL_GRID}
`;

function addMonths(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + months, 1));
  return d.toISOString().slice(0, 7);
}

export function WaterfallScreen({ query }: { query: URLSearchParams }) {
  const { entities, legalEntity } = useReportEntity(query);
  const to = query.get('to') ?? addMonths(lastMonth(), 6);
  const from = query.get('from') ?? addMonths(to, -11);
  const valid = legalEntity !== '' && PERIOD.test(from) && PERIOD.test(to);
  const loaded = useLoad(
    () =>
      valid
        ? gql<Waterfall>(WATERFALL, { legalEntity, from, to })
        : Promise.reject(new Error('choose an entity and periods (YYYY-MM)')),
    [legalEntity, from, to],
  );
  return (
    <section aria-labelledby="waterfall-title">
      <h1 id="waterfall-title">Revenue waterfall</h1>
      <ReportFilters
        screen="waterfall"
        label="Waterfall range"
        entities={entities}
        applied={{ legalEntity, from, to }}
        fields={[
          { name: 'from', label: 'From (YYYY-MM)' },
          { name: 'to', label: 'To (YYYY-MM)' },
        ]}
      />
      {valid ? <ExportButtons table="waterfall" params={{ legalEntity, period: to, from, to }} /> : null}
      <Show loaded={loaded}>
        {({ revenueWaterfall: w }) =>
          w.currencies.length === 0 ? (
            <p>No revenue recognised in this range.</p>
          ) : (
            w.currencies.map((c) => <WaterfallCurrency key={c.currency} periods={w.periods} currency={c} />)
          )
        }
      </Show>
    </section>
  );
}

type CurrencyBlock = Waterfall['revenueWaterfall']['currencies'][number];

function WaterfallCurrency({ periods, currency }: { periods: string[]; currency: CurrencyBlock }) {
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!chart.current) return;
    const instance = echarts.init(chart.current, undefined, { renderer: 'canvas' });
    instance.setOption({
      aria: { enabled: true },
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { top: 40, left: 80, right: 20, bottom: 30 },
      xAxis: { type: 'category', data: periods },
      yAxis: { type: 'value', name: currency.currency },
      series: currency.rows.map((r) => ({
        name: r.sku,
        type: 'bar',
        stack: 'revenue',
        data: periods.map((p) => Number(r.periods.find((x) => x.period === p)?.amount ?? 0)),
      })),
    });
    return () => instance.dispose();
  }, [periods, currency]);
  const totals = new Map(currency.totals.map((t) => [t.period, t.amount]));
  return (
    <>
      <h2>
        {currency.currency}: total{' '}
        <span data-testid={`waterfall-total-${currency.currency}`}>{money(currency.total)}</span>
      </h2>
      <div
        ref={chart}
        className="chart"
        data-testid="waterfall-chart"
        role="img"
        aria-label={`Revenue by SKU per period in ${currency.currency}, as in the table below`}
      />
      <PagedTable
        caption={`Revenue by SKU and period, ${currency.currency}`}
        rows={[...currency.rows, { sku: 'Total', obligations: 0, periods: currency.totals, total: currency.total }]}
        rowKey={(r) => r.sku}
        columns={[
          { header: 'SKU', cell: (r) => r.sku },
          ...periods.map((p) => ({
            header: p,
            numeric: true,
            cell: (r: CurrencyBlock['rows'][number]) =>
              money(r.sku === 'Total' ? totals.get(p) : (r.periods.find((x) => x.period === p)?.amount ?? '0')),
          })),
          { header: 'Total', numeric: true, cell: (r) => money(r.total) },
        ]}
      />
    </>
  );
}

interface Rollforward {
  deferredRevenueRollforward: {
    currencies: {
      currency: string;
      contracts: number;
      deferredRevenue: Section;
      contractAsset: Section;
      net: Section;
    }[];
  };
}

interface Section {
  opening: string;
  billed: string;
  recognised: string;
  reclassified: string;
  closing: string;
  ties: boolean;
}

const SECTION = 'opening billed recognised reclassified closing ties';
const ROLLFORWARD = /* GraphQL */ `
  query Rollforward($legalEntity: String!, $period: String!) {
    deferredRevenueRollforward(legalEntity: $legalEntity, period: $period) {
      currencies {
        currency
        contracts
        deferredRevenue { ${SECTION} }
        contractAsset { ${SECTION} }
        net { ${SECTION} }
      }
    }
  }
`;

export function RollforwardScreen({ query }: { query: URLSearchParams }) {
  const report = usePeriodReport(query, (scope) => gql<Rollforward>(ROLLFORWARD, scope));
  const { legalEntity, period, valid, loaded } = report;
  return (
    <section aria-labelledby="rollforward-title">
      <h1 id="rollforward-title">Deferred revenue roll-forward</h1>
      <PeriodFilters screen="rollforward" label="Roll-forward period" report={report} />
      {valid ? <ExportButtons table="rollforward" params={{ legalEntity, period }} /> : null}
      <Show loaded={loaded}>
        {({ deferredRevenueRollforward: r }) =>
          r.currencies.length === 0 ? (
            <p>Nothing to roll forward.</p>
          ) : (
            r.currencies.map((c) => (
              <PagedTable
                key={c.currency}
                caption={`${c.currency}: ${c.contracts} contracts`}
                rows={
                  [
                    ['Deferred revenue', c.deferredRevenue],
                    ['Contract asset', c.contractAsset],
                    ['Net', c.net],
                  ] as [string, Section][]
                }
                rowKey={(row) => row[0]}
                columns={[
                  { header: 'Balance', cell: (row) => row[0] },
                  { header: 'Opening', numeric: true, cell: (row) => money(row[1].opening) },
                  { header: 'Billed', numeric: true, cell: (row) => money(row[1].billed) },
                  { header: 'Recognised', numeric: true, cell: (row) => money(row[1].recognised) },
                  { header: 'Reclassified', numeric: true, cell: (row) => money(row[1].reclassified) },
                  { header: 'Closing', numeric: true, cell: (row) => money(row[1].closing) },
                  { header: 'Ties', cell: (row) => (row[1].ties ? 'yes' : 'NO') },
                ]}
              />
            ))
          )
        }
      </Show>
    </section>
  );
}
