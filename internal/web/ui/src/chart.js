// Charts for query results, after Kusto's render convention: the first column is the x axis,
// other string columns split the data into series, numeric columns are the values.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { h, fmtTime } from './dom.js';
import { isNumeric, cellText } from './table.js';

echarts.use([BarChart, LineChart, PieChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

/** chartKinds are the render kinds drawn as a chart (table and card are not). */
export const chartKinds = new Set(['timechart', 'linechart', 'areachart', 'stackedareachart', 'columnchart', 'barchart', 'piechart', 'scatterchart', 'anomalychart', 'ladderchart', 'timepivot']);

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#e6550d', '#31a354', '#756bb1', '#636363'];

const shortName = (n) => (n.length > 48 ? n.slice(0, 47) + '…' : n);

const isTime = (t) => t === 'datetime' || /^TIMESTAMP|^DATE$/.test(t || '');

/** shape splits a result into x values, series names and their values. */
export function shape(res) {
  const cols = res.columns;
  let xi = cols.findIndex((c) => isTime(c.type));
  if (xi < 0) xi = 0;
  const valueIdx = cols.map((c, i) => i).filter((i) => i !== xi && isNumeric(cols[i].type));
  const splitIdx = cols.map((c, i) => i).filter((i) => i !== xi && !isNumeric(cols[i].type) && !isTime(cols[i].type));
  const xs = [];
  const xSeen = new Map();
  const series = new Map(); // name -> Map(x -> value)
  for (const r of res.rows) {
    const x = r[xi];
    if (!xSeen.has(x)) { xSeen.set(x, xs.length); xs.push(x); }
    const split = splitIdx.map((i) => cellText(r[i], cols[i].type)).join(' / ');
    for (const vi of valueIdx) {
      const name = splitIdx.length && valueIdx.length === 1 ? split || '(empty)' : split ? `${split} ${cols[vi].name}` : cols[vi].name;
      if (!series.has(name)) series.set(name, new Map());
      const m = series.get(name);
      m.set(x, (m.get(x) || 0) + (typeof r[vi] === 'number' ? r[vi] : Number(r[vi]) || 0));
    }
  }
  // A time axis runs forwards whatever order the rows came in (Kusto's render does the same).
  if (isTime(cols[xi].type)) xs.sort((a, b) => Date.parse(a) - Date.parse(b));
  return { x: cols[xi], xs, series, valueNames: valueIdx.map((i) => cols[i].name) };
}

const DAY = 86400000;

/**
 * fillDays adds the missing days (or hours) of a time axis drawn as categories, so that a day
 * without rows shows as an empty slot instead of disappearing.
 */
function fillDays(xs) {
  const ts = xs.map((x) => Date.parse(x));
  if (ts.length < 2 || ts.some((t) => isNaN(t))) return xs;
  for (let i = 1; i < ts.length; i++) if (ts[i] <= ts[i - 1]) return xs; // not ascending
  let step = Infinity;
  for (let i = 1; i < ts.length; i++) step = Math.min(step, ts[i] - ts[i - 1]);
  if (step !== DAY && step !== DAY / 24) return xs;
  if (ts.some((t) => (t - ts[0]) % step !== 0)) return xs;
  const n = (ts[ts.length - 1] - ts[0]) / step + 1;
  if (n > 2000) return xs;
  const iso = (t) => new Date(t).toISOString().replace('.000Z', 'Z');
  const have = new Map(xs.map((x, i) => [ts[i], x]));
  return Array.from({ length: n }, (_, i) => have.get(ts[0] + i * step) ?? iso(ts[0] + i * step));
}

/**
 * drawChart draws res as `kind` into a new element and returns it. The ECharts instance is on
 * element.chart; opts.onClick({x, series, value}) is called when a bar, point or slice is clicked.
 */
export function drawChart(res, kind, opts = {}) {
  const el = h('div.chart', { style: `height:${opts.height || 320}px` });
  el.dataset.kind = kind;
  const s = shape(res);
  const time = isTime(s.x.type);
  const names = [...s.series.keys()];
  const stacked = kind === 'areachart' || kind === 'stackedareachart' || ((kind === 'columnchart' || kind === 'barchart') && names.length > 1 && opts.stack !== false);
  let option;
  if (kind === 'piechart') {
    const vals = s.series.get(names[0]) || new Map();
    option = {
      tooltip: { trigger: 'item' },
      legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle', formatter: shortName, tooltip: { show: true } },
      series: [{ type: 'pie', radius: ['30%', '70%'], center: ['40%', '50%'],
        data: s.xs.map((x) => ({ name: cellText(x, s.x.type), value: vals.get(x) || 0 })) }],
    };
  } else {
    const lineish = !(kind === 'columnchart' || kind === 'barchart');
    const timeAxis = time && lineish;
    if (time && !timeAxis) s.xs = fillDays(s.xs);
    const cat = s.xs.map((x) => cellText(x, s.x.type));
    const xAxis = timeAxis
      ? { type: 'time', axisLabel: { hideOverlap: true, formatter: { year: '{yyyy}', month: '{yyyy}-{MM}', day: '{MM}-{dd}', hour: '{MM}-{dd} {HH}:{mm}', minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}' } } }
      : { type: 'category', data: cat, axisLabel: { hideOverlap: true } };
    const yAxis = { type: 'value' };
    const series = names.map((name, i) => {
      const m = s.series.get(name);
      const data = timeAxis ? s.xs.map((x) => [x, m.get(x) ?? null]) : s.xs.map((x) => m.get(x) ?? 0);
      return {
        name,
        type: kind === 'scatterchart' ? 'scatter' : lineish ? 'line' : 'bar',
        stack: stacked ? 'total' : undefined,
        areaStyle: kind === 'areachart' || kind === 'stackedareachart' ? {} : undefined,
        showSymbol: s.xs.length < 60,
        barMaxWidth: 40,
        color: palette[i % palette.length],
        data,
      };
    });
    option = {
      useUTC: true, // the data is UTC, and so are the labels
      animation: false,
      tooltip: { trigger: lineish ? 'axis' : 'item', confine: true },
      legend: names.length > 1 ? { type: 'scroll', top: 0, formatter: shortName, tooltip: { show: true } } : undefined,
      grid: { left: 50, right: 20, top: names.length > 1 ? 34 : 14, bottom: 30, containLabel: true },
      xAxis: kind === 'barchart' ? yAxis : xAxis,
      yAxis: kind === 'barchart' ? { ...xAxis, inverse: true } : yAxis,
      series,
    };
  }
  // The chart needs its element in the page to know its size; draw on the next frame.
  const init = () => {
    if (!el.isConnected) { requestAnimationFrame(init); return; }
    const chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(option);
    el.chart = chart;
    el.points = { xs: s.xs.map((x) => cellText(x, s.x.type)), series: names };
    // select(x) marks the bars of one x value (the day a drill-down is about).
    el.select = (x) => {
      if (kind !== 'columnchart' && kind !== 'barchart') return;
      const i = el.points.xs.indexOf(x);
      chart.setOption({ series: option.series.map((sr) => ({ data: sr.data.map((v, j) => (j === i ? { value: v, itemStyle: { color: '#d62728' } } : v)) })) });
    };
    if (opts.selected) el.select(opts.selected);
    if (opts.onClick) {
      chart.on('click', (p) => {
        const x = kind === 'piechart' ? p.name : Array.isArray(p.value) ? fmtTime(p.value[0]) : p.name;
        opts.onClick({ x, raw: s.xs[p.dataIndex], series: p.seriesName, value: Array.isArray(p.value) ? p.value[1] : p.value });
      });
      el.classList.add('clickable-chart');
    }
    new ResizeObserver(() => chart.resize()).observe(el);
    el.dataset.ready = 'true';
  };
  requestAnimationFrame(init);
  return el;
}
