/** The cluster posture's part of the HTML report: totals as cards, the per-namespace chart and table, each finding's message. */
import { escapeHtml } from './html-escape.ts';
import type { ClusterPolicyPosture, ClusterPosture, NamespacePosture } from './model.ts';
import { describeReach } from './posture-cluster-policies.ts';
import { hasFindings, postureProblems } from './posture-words.ts';
import { postureChart } from './svg-posture.ts';

export const postureColors: Record<(typeof postureProblems)[number], string> = {
  missing: '#c0392b',
  edited: '#e67e22',
  foreign: '#8e44ad',
  obsolete: '#7f8791',
  'above-ceiling': '#b03a75',
  'bad-tier': '#c98a00',
};

export function postureSections(posture: ClusterPosture, section: (id: string, title: string, content: string) => string): string {
  return [
    section('posture', 'Cluster posture', cards(posture) + namedNamespaces(posture)),
    posture.clusterPolicies === undefined ? '' : section('posture-cluster-policies', 'ClusterNetworkPolicies', clusterPolicyTable(posture.clusterPolicies)),
    section('posture-namespaces', 'Posture per namespace', legend() + postureChart('chart-posture', 'Problems per governed namespace', posture.namespaces) + table(posture.namespaces)),
    section('posture-findings', 'Posture findings', findings(posture.namespaces)),
  ].join('\n');
}

function cards(posture: ClusterPosture): string {
  const t = posture.totals;
  const items: [string, string, number][] = [
    ['namespaces', 'Governed namespaces', t.namespaces],
    ['complete', 'Complete baseline', t.complete],
    ['exempt', 'Exempt namespaces', t.exempt],
    ['missing', 'Policies missing', t.missingPolicies],
    ['edited', 'Policies edited', t.editedPolicies],
    ['foreign', 'Held by unmanaged', t.foreignPolicies],
    ['above-ceiling', 'Above the ceiling', t.aboveCeiling],
    ['bad-tier', 'Pods without a valid tier', t.podsWithoutValidTier],
    ['pods', 'Pods', t.pods],
    ['unmanaged', 'Unmanaged policies', t.unmanagedPolicies],
  ];
  const html = items.map(([key, label, value]) => `<div class="card" data-posture="${key}" data-value="${value}"><dt>${label}</dt><dd>${value}</dd></div>`);
  return `<dl class="cards">${html.join('')}</dl>`;
}

function namedNamespaces(posture: ClusterPosture): string {
  const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : escapeHtml(names.join(', ')));
  return `<p class="note" id="posture-exempt">Exempt (not judged): ${list(posture.exempt)}. Terminating (not judged): ${list(posture.terminating)}.</p>`;
}

/** In evaluation order: Admin decides before the namespaces' NetworkPolicies, Baseline after them. */
function clusterPolicyTable(policies: readonly ClusterPolicyPosture[]): string {
  if (policies.length === 0) return '<p class="note">None.</p>';
  const rows = policies.map((p) => `<tr><td>${escapeHtml(p.tier)}</td><td>${p.priority}</td><td>${escapeHtml(p.name)}</td><td>${escapeHtml(describeReach(p))}</td></tr>`);
  return `<table><thead><tr><th>Tier</th><th>Priority</th><th>Name</th><th>Governed namespaces in subject</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function legend(): string {
  return `<ul class="legend" aria-label="Colours">${postureProblems.map((name) => `<li><span class="p-${name}"></span>${name}</li>`).join('')}</ul>`;
}

const columns: [string, string, (ns: NamespacePosture) => string | number][] = [
  ['namespace', 'Namespace', (ns) => ns.name],
  ['profile', 'Profile', (ns) => ns.profile],
  ['baseline', 'Baseline', (ns) => ns.baseline],
  ['missing', 'Missing', (ns) => ns.missing.length],
  ['edited', 'Edited', (ns) => ns.edited.length],
  ['foreign', 'Held by unmanaged', (ns) => ns.foreign.length],
  ['obsolete', 'Obsolete', (ns) => ns.obsolete.length],
  ['above-ceiling', 'Above ceiling', (ns) => ns.aboveCeiling.length],
  ['bad-tier', 'Pods without valid tier', (ns) => ns.tierProblems.length],
  ['pods', 'Pods', (ns) => ns.pods],
  ['unmanaged', 'Unmanaged', (ns) => ns.unmanaged.length],
];

function table(namespaces: readonly NamespacePosture[]): string {
  if (namespaces.length === 0) return '<p class="note">No governed namespace.</p>';
  const head = `<tr>${columns.map(([, title]) => `<th scope="col">${title}</th>`).join('')}</tr>`;
  const rows = namespaces.map(
    (ns) => `<tr data-namespace="${escapeHtml(ns.name)}">${columns.map(([key, , value]) => `<td data-column="${key}" data-value="${escapeHtml(value(ns))}">${escapeHtml(value(ns))}</td>`).join('')}</tr>`,
  );
  return `<table id="posture-table"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function findings(namespaces: readonly NamespacePosture[]): string {
  const flagged = namespaces.filter(hasFindings);
  if (flagged.length === 0) return '<p class="note">None: every governed namespace has its complete baseline, nothing above the ceiling, every pod a valid tier.</p>';
  const head = '<tr><th scope="col">Namespace</th><th scope="col">Finding</th><th scope="col">Detail</th></tr>';
  return `<table><thead>${head}</thead><tbody>${flagged.flatMap(findingRows).join('\n')}</tbody></table>`;
}

function findingRows(ns: NamespacePosture): string[] {
  const row = (finding: string, detail: string): string =>
    `<tr data-namespace="${escapeHtml(ns.name)}" data-finding="${finding}"><td>${escapeHtml(ns.name)}</td><td>${finding}</td><td class="message">${escapeHtml(detail)}</td></tr>`;
  const lists: [string, readonly string[]][] = [
    ['missing', ns.missing],
    ['edited', ns.edited],
    ['foreign', ns.foreign],
    ['obsolete', ns.obsolete],
  ];
  return [
    ...lists.filter(([, names]) => names.length > 0).map(([finding, names]) => row(finding, names.join(', '))),
    ...ns.aboveCeiling.flatMap((above) => above.messages.map((message) => row('above-ceiling', message))),
    ...ns.tierProblems.map((problem) => row('bad-tier', problem.message)),
    ...(ns.unmanaged.length === 0 ? [] : [row('unmanaged', ns.unmanaged.join(', '))]),
  ];
}
