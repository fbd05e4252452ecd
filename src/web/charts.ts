/**
 * Charts for reports, drawn on the server as SVG by Observable Plot (no script in the
 * browser, nothing for the CSP to allow). Each chart is an image with a text alternative
 * that says what it shows; the table beside it holds the same figures for anyone who
 * would rather read them (and for screen readers, which are told to read the table).
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

const { document } = parseHTML('<!doctype html><html><body></body></html>');

export interface Bar {
  label: string;
  value: number;
}

/** A horizontal bar chart of counts (suppressed counts are left out, and the chart says so). */
export function barChart(title: string, bars: Array<{ label: string; value: number | null }>, unit = 'count'): string | null {
  const shown = bars.filter((b): b is Bar => b.value !== null);
  if (shown.length === 0 || shown.every((b) => b.value === 0)) return null;
  const hidden = bars.length - shown.length;
  const svg = Plot.plot({
    document,
    ariaLabel: `${title}: bar chart`,
    ariaDescription: `${shown.map((b) => `${b.label}: ${b.value.toLocaleString('en-GB')}`).join('; ')}${hidden ? `; ${hidden} not shown (fewer than 5)` : ''}. The same figures are in the table below.`,
    marginLeft: 220,
    marginRight: 60,
    height: 30 + shown.length * 28,
    width: 720,
    x: { label: unit, grid: true, nice: true },
    y: { label: null, domain: shown.map((b) => b.label) },
    marks: [
      Plot.barX(shown, { x: 'value', y: 'label', fill: '#1d70b8' }),
      Plot.text(shown, { x: 'value', y: 'label', text: (d: Bar) => d.value.toLocaleString('en-GB'), dx: 6, textAnchor: 'start', fill: '#0b0c0c' }),
      Plot.ruleX([0]),
    ],
  }) as unknown as { outerHTML: string; querySelector(s: string): { remove(): void } | null; setAttribute(name: string, value: string): void };
  // The stylesheet Plot puts inside the SVG would need the CSP's nonce: spoc.css styles charts instead.
  svg.querySelector('style')?.remove();
  svg.setAttribute('class', 'spoc-plot');
  // Type large enough to read (the CSP drops Plot's inline style; attributes stay).
  svg.setAttribute('font-size', '14');
  svg.setAttribute('role', 'img');
  svg.setAttribute('focusable', 'false');
  return svg.outerHTML;
}
