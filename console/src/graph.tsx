// A lineage graph drawn by Cytoscape (breadth-first, left to right), with the same nodes listed in a table beside it:
// the canvas is for the eye, the table for keyboards and screen readers.
import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';
import { PagedTable, useLocalPage } from './ui';

export interface GraphNode {
  id: string;
  label: string;
  kind: 'journal' | 'line' | 'schedule' | 'event' | 'source' | 'mapping' | 'contract' | 'period';
  /** A console route the node opens (its table row links there). */
  link?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
}

const COLOURS: Record<GraphNode['kind'], string> = {
  journal: '#1d4ed8',
  line: '#0f766e',
  schedule: '#7c3aed',
  event: '#b45309',
  source: '#be123c',
  mapping: '#4b5563',
  contract: '#166534',
  period: '#0e7490',
};

export function LineageGraph({ nodes, edges, title }: { nodes: GraphNode[]; edges: GraphEdge[]; title: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!container.current) return;
    const known = new Set(nodes.map((n) => n.id));
    const cy = cytoscape({
      container: container.current,
      elements: [
        ...nodes.map((n) => ({ data: { id: n.id, label: n.label, colour: COLOURS[n.kind] } })),
        ...edges
          .filter((e) => known.has(e.from) && known.has(e.to))
          .map((e, i) => ({ data: { id: `e${i}`, source: e.from, target: e.to } })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'background-color': 'data(colour)',
            color: '#111827',
            'font-size': 10,
            'text-wrap': 'ellipsis',
            'text-max-width': '140px',
            'text-valign': 'bottom',
          },
        },
        {
          selector: 'edge',
          style: { width: 1.5, 'line-color': '#6b7280', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier' },
        },
      ],
      layout: { name: 'breadthfirst', directed: true, spacingFactor: 1.1 },
    });
    return () => cy.destroy();
  }, [nodes, edges]);
  const page = useLocalPage(nodes, 25);
  return (
    <>
      <div
        ref={container}
        className="graph"
        role="img"
        aria-label={`${title}: ${nodes.length} nodes, listed in the table below`}
        data-testid="lineage-graph"
        data-node-count={nodes.length}
      />
      <PagedTable
        caption={`${title}: nodes`}
        rows={page.rows}
        paging={page.paging}
        rowKey={(n) => n.id}
        columns={[
          { header: 'Kind', cell: (n) => n.kind },
          { header: 'Node', cell: (n) => (n.link ? <a href={n.link}>{n.label}</a> : n.label) },
        ]}
      />
    </>
  );
}
